"""Node pools: one EKS managed node group per pool spec, sharing one least-privilege node role.

Scale from zero: managed node groups carry their labels and taints in the EKS API, and Cluster
Autoscaler reads them with eks:DescribeNodegroup when a group has no nodes (its instance type list
gives CPU, memory and GPU count). Tags on the node group would not reach the ASG, so we rely on the
API rather than on `k8s.io/cluster-autoscaler/node-template/*` tags. See components/gpu/autoscaler.py.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from components.iam import AWS_MANAGED, service_trust_policy
from domain.settings.node_pools import NodePoolSettings, node_group_name_prefix

NODE_ROLE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    # The VPC CNI runs on the node role so that it can attach ENIs before any IRSA role is usable.
    "AmazonEKS_CNI_Policy",
)


def metadata_options() -> dict[str, Any]:
    """IMDSv2 only, one hop: pods cannot reach the node role's credentials through IMDS."""
    return {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1,
            "instance_metadata_tags": "disabled"}


def root_volume(pool: NodePoolSettings) -> dict[str, Any]:
    """The encrypted gp3 root (AL2023) or data (Bottlerocket) volume of a pool's nodes."""
    device = "/dev/xvdb" if pool.is_bottlerocket else "/dev/xvda"
    return {"device_name": device, "ebs": {"volume_size": pool.disk_size_gib, "volume_type": "gp3",
                                           "encrypted": "true", "delete_on_termination": "true"}}


def eks_taints(pool: NodePoolSettings) -> list[dict[str, str]]:
    return [{"key": t.key, "value": t.value, "effect": t.eks_effect} for t in pool.taints]


def scaling_config(pool: NodePoolSettings) -> dict[str, int]:
    return {"min_size": pool.min_size, "desired_size": pool.initial_size, "max_size": pool.max_size}


class NodePools(pulumi.ComponentResource):
    """All node pools of the cluster. `groups[name]` is each pool's ManagedNodeGroup."""

    def __init__(self, name: str, pools: list[NodePoolSettings], cluster: eks.Cluster, cluster_name: str,
                 subnet_ids: list[pulumi.Input[str]], tags: dict[str, str],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:nodepools:NodePools", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.node_role = aws.iam.Role(f"{name}-node-role", assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
                                      description=f"Node role of {cluster_name}'s managed node groups", opts=child)
        attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-node-{policy}", role=self.node_role.name,
                                         policy_arn=AWS_MANAGED + policy, opts=child)
            for policy in NODE_ROLE_POLICIES
        ]
        self.groups: dict[str, eks.ManagedNodeGroup] = {}
        for pool in pools:
            lt = aws.ec2.LaunchTemplate(
                f"{name}-{pool.name}",
                description=f"{cluster_name} {pool.name} pool: IMDSv2, encrypted gp3",
                metadata_options=metadata_options(),
                block_device_mappings=[root_volume(pool)],
                update_default_version=True,
                tag_specifications=[{"resource_type": kind, "tags": {**tags, "Name": f"{cluster_name}-{pool.name}"}}
                                    for kind in ("instance", "volume")],
                opts=child,
            )
            self.groups[pool.name] = eks.ManagedNodeGroup(
                f"{name}-{pool.name}",
                cluster=cluster,
                node_group_name_prefix=node_group_name_prefix(cluster_name, pool.name),
                node_role_arn=self.node_role.arn,
                subnet_ids=subnet_ids,  # every private subnet: each pool spans all AZs
                instance_types=pool.instance_types,
                capacity_type=pool.capacity_type,
                ami_type=pool.ami_type,
                scaling_config=scaling_config(pool),
                labels=pool.node_labels,
                taints=eks_taints(pool),
                launch_template={"id": lt.id, "version": lt.latest_version.apply(str)},
                # The autoscaler owns desired size after creation.
                ignore_scaling_changes=True,
                tags={**tags, "node-pool": pool.name},
                opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
            )
        self.names = [p.name for p in pools]
        self.register_outputs({"names": self.names})
