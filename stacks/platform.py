"""Composition of the platform: which components exist and how they depend on each other.

Dependencies are explicit so that the deployment graph stays shallow: network -> cluster -> the
system pool -> add-ons; other pools and add-ons do not wait on each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.cluster import EksCluster
from components.network import Network
from components.node_pools import NodePools
from components.storage_class import ClusterStorage
from stacks.settings import PlatformSettings


@dataclass
class Platform:
    settings: PlatformSettings
    network: Network
    cluster: EksCluster
    node_pools: NodePools
    storage: ClusterStorage


def waits_for(*resources: pulumi.Resource) -> pulumi.ResourceTransformation:
    """Make every resource inside a component wait for `resources`.

    A component's own `depends_on` does not reach its children; a transformation does, because
    transformations are inherited by children.
    """

    def add_dependencies(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(depends_on=list(resources)))
        return pulumi.ResourceTransformationResult(args.props, opts)

    return add_dependencies


def build_platform(settings: PlatformSettings) -> Platform:
    aws_provider = aws.Provider("aws", region=settings.region,
                                default_tags={"tags": settings.resource_tags})
    with_aws = pulumi.ResourceOptions(providers={"aws": aws_provider})

    network = Network("network", settings.network, settings.cluster_name, opts=with_aws)
    cluster = EksCluster("cluster", settings, network.vpc_id, network.private_subnet_ids,
                         network.public_subnet_ids, opts=with_aws)
    node_pools = NodePools("pools", settings.pools, cluster.eks, settings.cluster_name,
                           network.private_subnet_ids, settings.resource_tags, opts=with_aws)
    system_pool = node_pools.groups[settings.system_pool.name]
    # Add-ons run on the system pool: wait for it, and only for it.
    after_system = pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": cluster.k8s_provider},
                                          depends_on=[system_pool], transformations=[waits_for(system_pool)])
    storage = ClusterStorage("storage", settings, cluster.name, cluster.oidc, cluster.k8s_provider,
                             opts=after_system)
    return Platform(settings, network, cluster, node_pools, storage)
