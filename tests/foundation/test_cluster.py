"""Cluster: control plane inputs, KMS, add-ons and the default StorageClass, per stack."""

from __future__ import annotations

import json

from components.coredns import coredns_configuration
from components.iam import irsa_trust_policy
from components.storage_class import default_storage_class_spec, ebs_csi_configuration
from domain.settings import load_settings
from domain.versions import EKS_ADDONS


def cluster_of(ev):
    (cluster,) = ev.of_type("eks:index:Cluster")
    return cluster.inputs


def test_control_plane_inputs(stack_eval):
    c = cluster_of(stack_eval)
    s = stack_eval.settings
    assert c["skipDefaultNodeGroup"] is True
    assert c["authenticationMode"] == "API"
    assert c["createOidcProvider"] is True
    assert c["encryptionConfigKeyArn"].startswith("arn:aws:kms:")
    assert {"api", "audit", "authenticator"} <= set(c["enabledClusterLogTypes"])
    assert c["endpointPrivateAccess"] is True
    assert c["version"] == "1.34"
    assert c["vpcCniOptions"]["enableNetworkPolicy"] is True
    assert c["vpcCniOptions"]["addonVersion"] == EKS_ADDONS["vpc-cni"]
    assert c["kubeProxyAddonOptions"]["version"] == EKS_ADDONS["kube-proxy"]
    assert c["name"] == s.cluster_name
    # Every stack file keeps the API private: CI reaches it from its runner inside the VPC.
    assert c["endpointPublicAccess"] is False and "publicAccessCidrs" not in c
    if s.environment == "prod":
        assert c["deletionProtection"] is True


def test_coredns_is_not_created_inside_the_cluster_component(stack_eval):
    """Contract with pulumi-eks (nodejs/eks/cluster/cluster.ts, `corednsExplicitlyEnabled`): the component
    creates the coredns add-on itself when `enabled` is true or `configurationValues` is set, before any node
    group exists, and waits for it forever. Only `enabled: false` (with skipDefaultNodeGroup) creates none."""
    options = cluster_of(stack_eval)["corednsAddonOptions"]
    assert options["enabled"] is False
    assert "configurationValues" not in options
    assert cluster_of(stack_eval)["skipDefaultNodeGroup"] is True


def test_coredns_is_its_own_add_on_after_the_system_pool(stack_eval):
    (addon,) = [a for a in stack_eval.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "coredns"]
    assert addon.inputs["addonVersion"] == EKS_ADDONS["coredns"]
    assert addon.inputs["resolveConflictsOnCreate"] == "OVERWRITE"
    system = [g for g in stack_eval.of_type("eks:index:ManagedNodeGroup") if g.inputs["labels"]["node-pool"] == "system"]
    assert system[0].urn in addon.dependencies
    cfg = json.loads(addon.inputs["configurationValues"])
    assert cfg["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
    assert cfg["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    assert {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"} in cfg["tolerations"]
    assert cfg["nodeSelector"] == {"node-pool": "system"}
    assert cfg["replicaCount"] >= 2


def test_secrets_key_rotates_and_is_protected_outside_dev(stack_eval):
    (key,) = [k for k in stack_eval.of_type("aws:kms/key:Key") if k.name == "cluster-secrets"]
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    protected = stack_eval.settings.protect_stateful_resources
    assert key.protect is protected and key.retain_on_delete is protected
    (cluster,) = stack_eval.of_type("eks:index:Cluster")
    assert cluster.protect is protected


def test_managed_addons_pinned_with_ebs_role(stack_eval):
    addons = {a.inputs["addonName"]: a.inputs for a in stack_eval.of_type("aws:eks/addon:Addon")}
    assert addons["aws-ebs-csi-driver"]["addonVersion"] == EKS_ADDONS["aws-ebs-csi-driver"]
    assert addons["eks-pod-identity-agent"]["addonVersion"] == EKS_ADDONS["eks-pod-identity-agent"]
    assert addons["aws-ebs-csi-driver"]["serviceAccountRoleArn"].startswith("arn:aws:iam::")
    config = json.loads(addons["aws-ebs-csi-driver"]["configurationValues"])
    assert config["controller"]["nodeSelector"] == {"node-pool": "system"}
    assert config["node"]["tolerateAllTaints"] is True


def test_ebs_csi_role_trusts_only_its_service_account():
    doc = json.loads(irsa_trust_policy("arn:aws:iam::1:oidc-provider/oidc.example/id/X", "https://oidc.example/id/X",
                                       "kube-system", "ebs-csi-controller-sa"))
    cond = doc["Statement"][0]["Condition"]["StringEquals"]
    assert cond["oidc.example/id/X:sub"] == "system:serviceaccount:kube-system:ebs-csi-controller-sa"
    assert cond["oidc.example/id/X:aud"] == "sts.amazonaws.com"


def test_default_storage_class_is_encrypted_gp3(stack_eval):
    (sc,) = stack_eval.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    i = sc.inputs
    assert i["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert i["parameters"] == {"type": "gp3", "encrypted": "true", "fsType": "ext4"}
    assert i["volumeBindingMode"] == "WaitForFirstConsumer"
    assert i["reclaimPolicy"] == ("Delete" if stack_eval.settings.environment == "dev" else "Retain")


def test_pure_builders():
    s = load_settings("dev", {})
    assert default_storage_class_spec("Retain")["reclaim_policy"] == "Retain"
    assert ebs_csi_configuration(s.system_pool)["controller"]["tolerations"][0]["key"] == "CriticalAddonsOnly"
    assert coredns_configuration(s.system_pool, 2)["replicaCount"] == 2


def test_control_plane_log_group_exists_before_cluster(stack_eval):
    groups = [g for g in stack_eval.of_type("aws:cloudwatch/logGroup:LogGroup") if g.inputs["name"].startswith("/aws/eks/")]
    (group,) = groups
    (cluster,) = stack_eval.of_type("eks:index:Cluster")
    assert group.urn in cluster.dependencies
    assert group.inputs["retentionInDays"] == stack_eval.settings.cluster.log_retention_days


def test_outputs(stack_eval):
    out = stack_eval.outputs
    assert out["clusterName"] == stack_eval.settings.cluster_name
    assert out["clusterEndpoint"].startswith("https://")
    assert out["oidcProviderArn"].startswith("arn:aws:iam::")
    assert out["vpcId"]
    assert out["nodePools"] == [p.name for p in stack_eval.settings.pools]
    assert "kubeconfig" in stack_eval.secret_outputs
    assert out["priorityClasses"] == ["inference-high", "batch-default", "training-low"]
    assert out["gpuQuota"]["capacity"] == sum(p.max_gpus for p in stack_eval.settings.gpu_pools)
    assert out["teamNamespaces"] == [t.name for t in stack_eval.settings.teams]
    assert set(out["serviceUrls"]) == {"keycloak", "mlflow", "zenml", "lakefs"}
    assert out["grafanaUrl"].startswith("http://")
