"""The EKS control plane: KMS envelope encryption, API auth with access entries, logs, OIDC, core add-ons."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components.cluster_access import AccessGrant
from components.iam import OidcIdentity
from domain.settings.cluster import ClusterSettings


def access_entries(grants: Sequence[AccessGrant], account_id: pulumi.Input[str]) -> dict[str, eks.AccessEntryArgs]:
    """The cluster's explicit access entries (components/cluster_access.py `access_grants`), keyed by a stable name."""
    account = pulumi.Output.from_input(account_id)
    return {
        g.key: eks.AccessEntryArgs(
            principal_arn=account.apply(g.principal_arn),
            kubernetes_groups=list(g.groups) or None,
            access_policies={"policy": eks.AccessPolicyAssociationArgs(
                policy_arn=g.policy_arn, access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"))}
            if g.policy_arn else None,
        )
        for g in grants
    }


def coredns_addon_options() -> eks.CoreDnsAddonOptionsArgs:
    """CoreDNS stays out of eks.Cluster: pulumi-eks creates its add-on inside the component whenever
    `configurationValues` is set (`corednsExplicitlyEnabled` in nodejs/eks/cluster/cluster.ts) and waits for it
    to be ACTIVE, yet every node group waits for the component, so the add-on could never get a node.
    `enabled: False` with `skipDefaultNodeGroup` creates nothing; components/coredns.py installs it after the
    system pool, pinned (`cluster.addonVersions.coredns`)."""
    return eks.CoreDnsAddonOptionsArgs(enabled=False)


def kms_key_policy(account_id: str) -> str:
    """Account-root administration of the key; EKS uses it through its service role's grants."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "AccountAdministration", "Effect": "Allow",
                       "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"}],
    })


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster with no default node group; node pools attach to it separately."""

    def __init__(self, name: str, cs: ClusterSettings, *, cluster_name: str, protect: bool, tags: dict[str, str],
                 access: Sequence[AccessGrant], vpc_id: pulumi.Input[str], private_subnet_ids: Sequence[pulumi.Input[str]],
                 public_subnet_ids: Sequence[pulumi.Input[str]], opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:cluster:EksCluster", name, None, opts)
        caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.secrets_key = aws.kms.Key(
            f"{name}-secrets",
            description=f"EKS secrets envelope encryption for {cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=caller.account_id.apply(kms_key_policy),
            opts=pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect),
        )
        aws.kms.Alias(f"{name}-secrets", name=f"alias/{cluster_name}-eks-secrets",
                      target_key_id=self.secrets_key.key_id, opts=pulumi.ResourceOptions(parent=self))

        # Created before the cluster so that EKS writes into it: EKS's own would keep logs forever.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs", name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=cs.log_retention_days, opts=pulumi.ResourceOptions(parent=self))
        self.eks = eks.Cluster(
            name,
            name=cluster_name,
            version=cs.version,
            vpc_id=vpc_id,
            private_subnet_ids=private_subnet_ids,
            public_subnet_ids=public_subnet_ids,
            skip_default_node_group=True,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=access_entries(access, caller.account_id),
            encryption_config_key_arn=self.secrets_key.arn,
            enabled_cluster_log_types=cs.log_types,
            endpoint_private_access=True,
            endpoint_public_access=cs.endpoint_public_access,
            public_access_cidrs=cs.public_access_cidrs if cs.endpoint_public_access else None,
            create_oidc_provider=True,
            deletion_protection=cs.deletion_protection,
            # Explicit: EKS's default is EXTENDED support, billed per hour once the version leaves standard support.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=cs.upgrade_policy),
            vpc_cni_options=eks.VpcCniOptionsArgs(addon_version=cs.addon_versions["vpc-cni"],
                                                  enable_network_policy=True),
            coredns_addon_options=coredns_addon_options(),
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(version=cs.addon_versions["kube-proxy"]),
            tags=tags,
            # Managed node groups use the EKS-created cluster security group; no extra groups needed.
            skip_default_security_groups=True,
            opts=pulumi.ResourceOptions(parent=self, protect=protect, depends_on=[log_group]),
        )

        self.name = pulumi.Output.from_input(cluster_name)
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(self.eks.kubeconfig_json)
        self.endpoint = self.eks.kubeconfig.apply(lambda kc: kc["clusters"][0]["cluster"]["server"])
        self.oidc = OidcIdentity(self.eks.oidc_provider_arn, self.eks.oidc_issuer)
        # The EKS-created cluster security group is attached to every managed node: databases allow it.
        self.node_security_group_id = self.eks.cluster_security_group_id
        self.k8s_provider = k8s.Provider(f"{name}-k8s", kubeconfig=self.eks.kubeconfig_json,
                                         enable_server_side_apply=True, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"name": self.name, "endpoint": self.endpoint,
                               "oidc_provider_arn": self.eks.oidc_provider_arn})
