"""Pods with zonal volumes can always come back in their volume's zone.

An EBS volume lives in one AZ, so a pod that owns one (Prometheus, Alertmanager) can only run there.
When its node is replaced, the autoscaler must be able to add a node in that AZ: the pool needs a node
group per AZ (each with room for a node) and the autoscaler balances them. A pool that is one group
across every AZ may bring the node back elsewhere, and the pod stays Pending.

This check reads the offline plan: every Helm release value or StatefulSet with a volume claim
template, the node pool its pods are pinned to, and that pool's planned node groups.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from domain.settings.node_pools import POOL_LABEL

MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
AUTOSCALER_BALANCING = "balance-similar-node-groups"


@dataclass(frozen=True)
class ZonalClaim:
    """Pods of `owner` (a release value path or a StatefulSet) that keep a volume and run on `pool`."""

    owner: str
    pool: str


def _claims_in(value: Any, path: str, pool: str) -> Iterator[ZonalClaim]:
    if isinstance(value, dict):
        selector = value.get("nodeSelector")
        if isinstance(selector, dict) and isinstance(selector.get(POOL_LABEL), str):
            pool = selector[POOL_LABEL]
        if "volumeClaimTemplate" in value or "volumeClaimTemplates" in value:
            yield ZonalClaim(path, pool)
            return
        for key, item in value.items():
            yield from _claims_in(item, f"{path}.{key}", pool)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _claims_in(item, f"{path}[{i}]", pool)


def zonal_claims(resources: list[Any]) -> list[ZonalClaim]:
    """Every planned workload with a volume claim template, and the pool its pods are pinned to ('-': none)."""
    claims: list[ZonalClaim] = []
    for r in resources:
        if r.type == HELM_RELEASE:
            claims += _claims_in(r.inputs.get("values") or {}, r.inputs.get("name", r.name), "-")
        elif r.type == STATEFUL_SET and (r.inputs.get("spec") or {}).get("volumeClaimTemplates"):
            selector = ((r.inputs["spec"].get("template") or {}).get("spec") or {}).get("nodeSelector") or {}
            claims.append(ZonalClaim(r.name, selector.get(POOL_LABEL, "-")))
    return claims


def groups_of(resources: list[Any], pool: str) -> list[Any]:
    return [r for r in resources if r.type == MANAGED_NODE_GROUP
            and (r.inputs.get("labels") or {}).get(POOL_LABEL) == pool]


def autoscaler_balances(resources: list[Any]) -> bool | None:
    """Whether Cluster Autoscaler balances similar node groups (None: no autoscaler planned)."""
    for r in resources:
        if r.type == HELM_RELEASE and (r.inputs.get("chart") or "") == "cluster-autoscaler":
            args = (r.inputs.get("values") or {}).get("extraArgs") or {}
            return str(args.get(AUTOSCALER_BALANCING, "")).lower() == "true"
    return None


def zonal_problems(resources: list[Any], az_count: int) -> list[str]:
    """Why a pod with a zonal volume could be stranded after a node replacement (empty: it never is)."""
    problems = []
    zonal_pools: set[str] = set()
    for claim in zonal_claims(resources):
        if claim.pool == "-":
            problems.append(f"{claim.owner}: pods with a volume claim are not pinned to a node pool, so no pool is "
                            "known to have a node group in their volume's zone.")
            continue
        groups = groups_of(resources, claim.pool)
        subnets = [tuple(g.inputs.get("subnetIds") or []) for g in groups]
        zonal = (len(groups) == az_count and all(len(s) == 1 for s in subnets)
                 and len({s[0] for s in subnets}) == az_count)
        if not zonal:
            problems.append(f"{claim.owner}: pool '{claim.pool}' has {len(groups)} node group(s) over "
                            f"{sorted({len(s) for s in subnets})} subnet(s) each, not one group per AZ ({az_count}): a "
                            "replaced node can land in another AZ than the pod's volume.")
            continue
        full = [g.name for g in groups if float((g.inputs.get("scalingConfig") or {}).get("maxSize", 0)) < 1]
        if full:
            problems.append(f"{claim.owner}: node groups {full} of pool '{claim.pool}' have maxSize 0, so their AZ can "
                            "never get a node back.")
        zonal_pools.add(claim.pool)
    if zonal_pools and autoscaler_balances(resources) is False:
        problems.append(f"cluster-autoscaler: --{AUTOSCALER_BALANCING} is off, so the per-AZ groups of "
                        f"{sorted(zonal_pools)} drift apart.")
    return problems


def render_zonal(ev: Any) -> str:
    """The plan section: each pod with a zonal volume, its pool and groups, and any problem."""
    claims = zonal_claims(ev.resources)
    if not claims:
        return ""
    lines = [f"  {c.owner}: pool {c.pool}, {len(groups_of(ev.resources, c.pool))} node group(s)" for c in claims]
    problems = zonal_problems(ev.resources, ev.settings.network.az_count)
    lines += [f"  PROBLEM {p}" for p in problems] or ["  every pod with a zonal volume has a node group in each AZ"]
    return "\n".join(lines)
