"""CoreDNS as its own EKS add-on, created after the system pool that runs it.

Inside eks.Cluster it would deadlock the first `pulumi up` (see `coredns_addon_options` in
components/cluster.py): the add-on waits for ready pods, and no node exists until the component is done.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.availability import zone_spread
from domain.settings.node_pools import NodePoolSettings

COREDNS_POD_LABELS = {"k8s-app": "kube-dns"}


def coredns_replicas(system_pool: NodePoolSettings) -> int:
    """Two replicas at least (one may be evicted), one per system node up to three."""
    return max(2, min(system_pool.min_size, 3))


def coredns_configuration(system_pool: NodePoolSettings, replicas: int) -> dict[str, Any]:
    """The add-on's configuration values: on the system pool, spread across zones, one eviction at a time."""
    return {
        **system_pool.placement,
        "replicaCount": replicas,
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        "topologySpreadConstraints": zone_spread(COREDNS_POD_LABELS, per_node=False),
    }


class CoreDns(pulumi.ComponentResource):
    """The `coredns` EKS add-on, pinned, on the system pool. Create it after the system pool's node group.

    EKS installs a self-managed CoreDNS with the cluster; `OVERWRITE` adopts it on create."""

    def __init__(self, name: str, *, cluster_name: pulumi.Input[str], version: str, system_pool: NodePoolSettings,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:cluster:CoreDns", name, None, opts)
        self.configuration = coredns_configuration(system_pool, coredns_replicas(system_pool))
        self.addon = aws.eks.Addon(
            name, cluster_name=cluster_name, addon_name="coredns", addon_version=version,
            configuration_values=json.dumps(self.configuration),
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"version": version})
