"""High availability of the platform's pods: spread across zones and nodes, and a disruption budget.

With more than one replica, a service's pods should not share a zone (an AZ outage) or a node (a drain),
and voluntary evictions (node upgrades, Cluster Autoscaler scale-down) must leave one running. Charts
differ in what they offer, so each service uses what its chart has:

- `topologySpreadConstraints` (lakeFS, Keycloak as a templated string): `zone_spread`;
- only `affinity` (MLflow, ZenML): `zone_anti_affinity`, preferred anti-affinity with the same effect;
- no PodDisruptionBudget value (MLflow, ZenML, lakeFS): `disruption_budget` creates one beside the release.

Spreading is preferred, not required (ScheduleAnyway): a pool whose nodes all sit in one zone after a
scale-down still runs every replica; the autoscaler's balancing restores the spread as nodes come back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.kube import api_fields

ZONE_KEY = "topology.kubernetes.io/zone"
HOSTNAME_KEY = "kubernetes.io/hostname"


def chart_pod_labels(chart_name: str, release: str) -> dict[str, str]:
    """The selector labels the MLflow, ZenML and lakeFS charts put on their server pods (their helpers'
    `<chart>.selectorLabels`: the chart name, no nameOverride, and the release name)."""
    return {"app.kubernetes.io/name": chart_name, "app.kubernetes.io/instance": release}


def zone_spread(match_labels: Mapping[str, str], *, per_node: bool = True) -> list[dict[str, Any]]:
    """topologySpreadConstraints: at most one replica more in any zone, then (per_node) on any node."""
    keys = (ZONE_KEY, HOSTNAME_KEY) if per_node else (ZONE_KEY,)
    return [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": dict(match_labels)}} for key in keys]


def zone_anti_affinity(match_labels: Mapping[str, str]) -> dict[str, Any]:
    """Pod anti-affinity preferring another zone, then another node, than the service's other replicas."""
    def term(weight: int, key: str) -> dict[str, Any]:
        return {"weight": weight, "podAffinityTerm": {"labelSelector": {"matchLabels": dict(match_labels)},
                                                      "topologyKey": key}}

    return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        term(100, ZONE_KEY), term(50, HOSTNAME_KEY)]}}


def disruption_budget_spec(match_labels: Mapping[str, str], replicas: int) -> dict[str, Any] | None:
    """A PodDisruptionBudget keeping all but one replica up; None with one replica (it would block drains).

    An integer `minAvailable` needs no controller lookup, so pods of the charts' hook Jobs that carry the
    same labels cannot stall evictions (a `maxUnavailable` budget fails on pods without a scalable owner).
    """
    if replicas < 2:
        return None
    return {"minAvailable": replicas - 1, "selector": {"matchLabels": dict(match_labels)}}


def disruption_budget(name: str, *, namespace: str, metadata_name: str, match_labels: Mapping[str, str],
                      replicas: int, parent: pulumi.Resource,
                      depends_on: Sequence[pulumi.Resource] = ()) -> k8s.policy.v1.PodDisruptionBudget | None:
    """The PodDisruptionBudget of a chart that has no value for one (None with one replica)."""
    spec = disruption_budget_spec(match_labels, replicas)
    if spec is None:
        return None
    return k8s.policy.v1.PodDisruptionBudget(
        name,
        metadata={"name": metadata_name, "namespace": namespace,
                  "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
        spec=api_fields(spec),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)))
