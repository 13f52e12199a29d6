"""Node pools: EKS managed node groups per pool spec (one, or one per AZ), sharing one least-privilege node role.

Day two, as pinned by tests/foundation/test_day_two.py:
- Kubernetes upgrades reach the nodes: pulumi-eks fills in a node group's `version` only when no launch
  template is given (nodejs/eks/nodes/nodegroup.ts, createManagedNodeGroup), and every pool has one, so
  each group gets `version` (the cluster's) and, where the pool pins it, `releaseVersion` explicitly.
  Once the system pool is live, every other pool waits for it, so a version bump rolls it first (a new
  stack still creates all pools in parallel).
- Resizing never shrinks a pool: pulumi-eks's `ignoreScalingChanges` is `ignoreChanges` on
  `scalingConfig.desiredSize`, so a min/max change sends the desired size stored at creation, which
  resets a pool the autoscaler grew (pulumi-eks#321). Instead each group's desired size is read from
  the live node group (eks:DescribeNodegroup, clamped to the new [min, max]) and sent as is.
- Pools with zonal volumes (`perAz`) get one node group per AZ, so a replaced node comes back in the
  zone of its pod's EBS volume; Cluster Autoscaler balances the groups (--balance-similar-node-groups).

Scale from zero: managed node groups carry their labels and taints in the EKS API, and Cluster
Autoscaler reads them with eks:DescribeNodegroup when a group has no nodes (its instance type list
gives CPU, memory and GPU count). Tags on the node group would not reach the ASG, so we rely on the
API rather than on `k8s.io/cluster-autoscaler/node-template/*` tags. See components/gpu/autoscaler.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from components.iam import AWS_MANAGED, service_trust_policy
from domain.settings.node_pools import NodePoolSettings, node_group_name_prefix, zonal_suffix

NODE_ROLE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    # The VPC CNI runs on the node role so that it can attach ENIs before any IRSA role is usable.
    "AmazonEKS_CNI_Policy",
)


def metadata_options() -> aws.ec2.LaunchTemplateMetadataOptionsArgsDict:
    """IMDSv2 only, one hop: pods cannot reach the node role's credentials through IMDS."""
    return {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1,
            "instance_metadata_tags": "disabled"}


def root_volume(pool: NodePoolSettings) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgsDict:
    """The encrypted gp3 root (AL2023) or data (Bottlerocket) volume of a pool's nodes."""
    device = "/dev/xvdb" if pool.is_bottlerocket else "/dev/xvda"
    return {"device_name": device, "ebs": {"volume_size": pool.disk_size_gib, "volume_type": "gp3",
                                           "encrypted": "true", "delete_on_termination": "true"}}


def eks_taints(pool: NodePoolSettings) -> list[dict[str, str]]:
    return [{"key": t.key, "value": t.value, "effect": t.eks_effect} for t in pool.taints]


def scaling_config(pool: NodePoolSettings) -> dict[str, int]:
    return {"min_size": pool.min_size, "desired_size": pool.initial_size, "max_size": pool.max_size}


@dataclass(frozen=True)
class GroupSpec:
    """One managed node group of a pool: its name suffix, subnets (by index) and sizes."""

    suffix: str  # "" for a pool-wide group, "-az1".. for a group per AZ
    subnets: tuple[int, ...]
    min_size: int
    initial_size: int
    max_size: int


def _share(total: int, count: int, index: int) -> int:
    """The index-th of `count` near-equal shares of `total` (the first shares take the remainder)."""
    return total // count + (1 if index < total % count else 0)


def group_specs(pool: NodePoolSettings, az_count: int) -> list[GroupSpec]:
    """The node groups of a pool: one over every AZ, or (perAz) one per AZ with the pool's min and initial
    sizes split across them and a max of ceil(maxSize / AZs) each, so every zone can always get a node."""
    if not pool.per_az:
        return [GroupSpec("", tuple(range(az_count)), pool.min_size, pool.initial_size, pool.max_size)]
    per_az_max = max(1, math.ceil(pool.max_size / az_count))
    return [GroupSpec(zonal_suffix(i), (i,), _share(pool.min_size, az_count, i),
                      _share(pool.initial_size, az_count, i), per_az_max) for i in range(az_count)]


def generated_name_pattern(prefix: str) -> re.Pattern[str]:
    """Names the AWS provider generates from a node group name prefix: the prefix and a hex/digit suffix
    (terraform id.PrefixedUniqueId). Another pool's prefix never matches: its rest contains a '-'."""
    return re.compile(re.escape(prefix) + r"[0-9a-f]+")


def desired_size(spec: GroupSpec, live: Sequence[int]) -> int:
    """What a group's desired size is set to: the live size (the largest, during a replacement) kept within
    the new [min, max], or the initial size when no such group exists yet. Never the stale stored value."""
    if not live:
        return spec.initial_size
    return min(max(max(live), spec.min_size), spec.max_size)


def live_scaling_config(spec: GroupSpec, live: Sequence[int]) -> dict[str, int]:
    return {"min_size": spec.min_size, "desired_size": desired_size(spec, live), "max_size": spec.max_size}


def _desired(config: Any) -> int:
    """desired_size of a DescribeNodegroup scaling config (a typed result, or a plain dict under mocks)."""
    if isinstance(config, dict):
        return int(config.get("desired_size", config.get("desiredSize")) or 0)
    return int(config.desired_size)


def live_desired_sizes(cluster_name: str, prefix: str, opts: pulumi.InvokeOutputOptions) -> pulumi.Output[list[int]]:
    """Desired sizes of the live node groups named from `prefix` (none on a new cluster). The invoke waits
    for the cluster (opts.depends_on), so a preview of a new stack reads nothing."""
    pattern = generated_name_pattern(prefix)
    names = aws.eks.get_node_groups_output(cluster_name=cluster_name, opts=opts).names

    def sizes(found: list[str] | None) -> pulumi.Output[list[int]]:
        matching = sorted(n for n in found or [] if pattern.fullmatch(n))
        groups = [aws.eks.get_node_group_output(cluster_name=cluster_name, node_group_name=n, opts=opts)
                  for n in matching]
        return pulumi.Output.all(*[g.scaling_configs for g in groups]).apply(
            lambda configs: [_desired(c[0]) for c in configs if c])

    return names.apply(sizes)


class NodePools(pulumi.ComponentResource):
    """All node pools of the cluster. `groups[name]` is each pool's ManagedNodeGroup."""

    def __init__(self, name: str, pools: list[NodePoolSettings], cluster: eks.Cluster, cluster_name: str,
                 subnet_ids: Sequence[pulumi.Input[str]], tags: dict[str, str], kubernetes_version: str,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:nodepools:NodePools", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.node_role = aws.iam.Role(f"{name}-node-role", assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
                                      description=f"Node role of {cluster_name}'s managed node groups", opts=child)
        attachments: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(f"{name}-node-{policy}", role=self.node_role.name,
                                         policy_arn=AWS_MANAGED + policy, opts=child)
            for policy in NODE_ROLE_POLICIES
        ]
        self._name, self._cluster, self._cluster_name = name, cluster, cluster_name
        self._subnet_ids, self._tags, self._version = subnet_ids, tags, kubernetes_version
        self._invoke = pulumi.InvokeOutputOptions(parent=self, depends_on=[cluster])
        self._live: dict[str, pulumi.Output[list[int]]] = {}  # live desired sizes by name prefix
        # A pool is the resource others wait for: the node group, or a component over its groups per AZ.
        self.groups: dict[str, pulumi.Resource] = {}
        system = next((p for p in pools if p.kind == "system"), None)
        after_system: list[pulumi.Input[pulumi.Resource]] = []
        if system is not None:
            self.groups[system.name] = self._pool(system, depends_on=attachments)
            # Once the system pool is live, every other pool waits for it, so that a version bump rolls the
            # system pool first; a new stack creates all pools at once (no live group: no dependency).
            system_group = self.groups[system.name]
            # An output that resolves to None adds no dependency (pulumi/runtime/_depends_on.py); its type
            # does not say so.
            after_system = [cast(pulumi.Output[pulumi.Resource], self._live_sizes(node_group_name_prefix(cluster_name, system.name)).apply(
                lambda sizes: system_group if sizes else None))]
        for pool in pools:
            if pool is not system:
                self.groups[pool.name] = self._pool(pool, depends_on=[*attachments, *after_system])
        self.names = [p.name for p in pools]
        self.register_outputs({"names": self.names})

    def _live_sizes(self, prefix: str) -> pulumi.Output[list[int]]:
        if prefix not in self._live:
            self._live[prefix] = live_desired_sizes(self._cluster_name, prefix, self._invoke)
        return self._live[prefix]

    def _pool(self, pool: NodePoolSettings, depends_on: Sequence[pulumi.Input[pulumi.Resource]]) -> pulumi.Resource:
        name, cluster_name, tags = self._name, self._cluster_name, self._tags
        lt = aws.ec2.LaunchTemplate(
            f"{name}-{pool.name}",
            description=f"{cluster_name} {pool.name} pool: IMDSv2, encrypted gp3",
            metadata_options=metadata_options(),
            block_device_mappings=[root_volume(pool)],
            update_default_version=True,
            tag_specifications=[{"resource_type": kind, "tags": {**tags, "Name": f"{cluster_name}-{pool.name}"}}
                                for kind in ("instance", "volume")],
            opts=pulumi.ResourceOptions(parent=self),
        )
        specs = group_specs(pool, len(self._subnet_ids))
        parent: pulumi.Resource = self
        if pool.per_az:
            parent = ZonalPool(f"{name}-{pool.name}", opts=pulumi.ResourceOptions(parent=self))
        groups = []
        for spec in specs:
            prefix = node_group_name_prefix(cluster_name, pool.name, spec.suffix)
            live = self._live_sizes(prefix)
            groups.append(eks.ManagedNodeGroup(
                f"{name}-{pool.name}{spec.suffix}",
                cluster=self._cluster,
                node_group_name_prefix=prefix,
                node_role_arn=self.node_role.arn,
                subnet_ids=[self._subnet_ids[i] for i in spec.subnets],
                instance_types=pool.instance_types,
                capacity_type=pool.capacity_type,
                ami_type=pool.ami_type,
                # With a launch template, pulumi-eks leaves the version to us: without it, nodes never upgrade.
                version=self._version,
                release_version=pool.release_version,
                scaling_config=live.apply(partial(live_scaling_config, spec)),
                labels=pool.node_labels,
                taints=eks_taints(pool),
                launch_template={"id": lt.id, "version": lt.latest_version.apply(str)},
                # Not ignoreScalingChanges: the desired size sent is the live one (see the module docstring).
                ignore_scaling_changes=False,
                tags={**tags, "node-pool": pool.name},
                opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
            ))
        if isinstance(parent, ZonalPool):
            parent.register_outputs({"groups": len(groups)})
        return parent if pool.per_az else groups[0]


class ZonalPool(pulumi.ComponentResource):
    """A pool with one managed node group per AZ; depending on it waits for every group."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:nodepools:ZonalPool", name, None, opts)
