"""Cluster storage and identity add-ons: EBS CSI driver (own IRSA role), Pod Identity agent, default gp3 class."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.iam import AWS_MANAGED, OidcIdentity, ServiceAccountRole
from domain.settings.node_pools import NodePoolSettings

EBS_CSI_NAMESPACE = "kube-system"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
DEFAULT_STORAGE_CLASS = "gp3-encrypted"


def ebs_csi_configuration(system_pool: NodePoolSettings) -> dict[str, Any]:
    """Controller on the system pool; the node plugin runs everywhere so any pod can mount a volume."""
    return {"controller": system_pool.placement, "node": {"tolerateAllTaints": True}}


def default_storage_class_spec(reclaim_policy: str) -> dict[str, Any]:
    return {
        "metadata": {"name": DEFAULT_STORAGE_CLASS,
                     "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", "encrypted": "true", "fsType": "ext4"},
        "reclaim_policy": reclaim_policy,
        "volume_binding_mode": "WaitForFirstConsumer",  # create the volume in the AZ of the pod
        "allow_volume_expansion": True,
    }


class ClusterStorage(pulumi.ComponentResource):
    """Add-ons that need nodes to become healthy, so they are created after the system pool."""

    def __init__(self, name: str, *, addon_versions: dict[str, str], system_pool: NodePoolSettings,
                 reclaim_policy: str, cluster_name: pulumi.Input[str], oidc: OidcIdentity, k8s_provider: k8s.Provider,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:cluster:ClusterStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        versions = addon_versions
        ebs_role = ServiceAccountRole(f"{name}-ebs-csi", oidc, EBS_CSI_NAMESPACE, EBS_CSI_SERVICE_ACCOUNT,
                                      managed_policy_arns=[AWS_MANAGED + "service-role/AmazonEBSCSIDriverPolicy"],
                                      opts=child)
        ebs = aws.eks.Addon(f"{name}-ebs-csi", cluster_name=cluster_name, addon_name="aws-ebs-csi-driver",
                            addon_version=versions["aws-ebs-csi-driver"], service_account_role_arn=ebs_role.arn,
                            configuration_values=json.dumps(ebs_csi_configuration(system_pool)),
                            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE",
                            opts=child)
        aws.eks.Addon(f"{name}-pod-identity-agent", cluster_name=cluster_name, addon_name="eks-pod-identity-agent",
                      addon_version=versions["eks-pod-identity-agent"], resolve_conflicts_on_create="OVERWRITE",
                      resolve_conflicts_on_update="OVERWRITE", opts=child)
        spec = default_storage_class_spec(reclaim_policy)
        self.storage_class = k8s.storage.v1.StorageClass(
            f"{name}-gp3", **spec, opts=pulumi.ResourceOptions(parent=self, provider=k8s_provider, depends_on=[ebs]))
        self.storage_class_name = DEFAULT_STORAGE_CLASS
        self.register_outputs({"storage_class": DEFAULT_STORAGE_CLASS})
