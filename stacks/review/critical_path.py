"""Deployment critical path: the longest chain of creations in the planned dependency graph.

Edges come from explicit `depends_on` and from inputs that are other resources' outputs (both are in
the registration's dependencies). Depending on a component means depending on all of its children.
Durations are typical create times, documented below; they rank chains, they don't promise a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from stacks.offline import PlannedResource

# Typical create durations in seconds, by resource type (observed ranges in AWS/EKS docs and runs).
TYPICAL_SECONDS: dict[str, int] = {
    "eks:index:Cluster": 600,  # control plane ~10 min (with OIDC provider and core add-ons)
    "eks:index:ManagedNodeGroup": 240,  # ~4 min to Ready nodes
    "kubernetes:helm.sh/v3:Release": 120,  # ~2 min to a ready release (images pulled)
    "aws:rds/instance:Instance": 480,  # ~8 min single-AZ
    "aws:rds/cluster:Cluster": 300,
    "aws:rds/clusterInstance:ClusterInstance": 480,
    "aws:ec2/natGateway:NatGateway": 100,
    "aws:eks/addon:Addon": 90,
    "kubernetes:batch/v1:Job": 60,
    "aws:acm/certificate:Certificate": 60,
    "aws:ec2/vpc:Vpc": 5,
    "aws:ec2/subnet:Subnet": 5,
    "aws:ec2/internetGateway:InternetGateway": 5,
    "aws:kms/key:Key": 5,
    "aws:iam/role:Role": 3,
    "aws:s3/bucketV2:BucketV2": 3,
    "aws:s3/bucket:Bucket": 3,
}
DEFAULT_SECONDS = {"aws": 2, "kubernetes": 2}


def typical_seconds(resource: PlannedResource) -> int:
    if not resource.is_resource or resource.type.startswith(("pulumi:providers:", "random:")):
        return 0
    if resource.type in TYPICAL_SECONDS:
        return TYPICAL_SECONDS[resource.type]
    return DEFAULT_SECONDS.get(resource.type.split(":", 1)[0], 1)


@dataclass(frozen=True)
class Step:
    urn: str
    type: str
    name: str
    seconds: int
    start: int  # earliest start, seconds after the deployment began


@dataclass(frozen=True)
class CriticalPath:
    steps: list[Step]

    @property
    def total_seconds(self) -> int:
        return self.steps[-1].start + self.steps[-1].seconds if self.steps else 0

    def as_dict(self) -> dict:
        return {"totalSeconds": self.total_seconds,
                "steps": [{"type": s.type, "name": s.name, "seconds": s.seconds, "start": s.start} for s in self.steps]}


def dependency_graph(resources: list[PlannedResource]) -> dict[str, set[str]]:
    """URN -> URNs of the custom resources it waits for (components expanded into their children)."""
    by_urn = {r.urn: r for r in resources}
    children: dict[str, list[str]] = {}
    for r in resources:
        children.setdefault(r.parent, []).append(r.urn)

    @cache
    def expand(urn: str) -> frozenset[str]:
        r = by_urn.get(urn)
        if r is None:
            return frozenset()
        if r.is_resource:
            return frozenset([urn])
        out: set[str] = set()
        for child in children.get(urn, []):
            out |= expand(child)
        return frozenset(out)

    graph: dict[str, set[str]] = {}
    for r in resources:
        if not r.is_resource:
            continue
        deps: set[str] = set()
        for d in r.all_dependencies:
            deps |= expand(d)
        deps.discard(r.urn)
        graph[r.urn] = deps
    return graph


def critical_path(resources: list[PlannedResource]) -> CriticalPath:
    by_urn = {r.urn: r for r in resources}
    graph = dependency_graph(resources)
    finish: dict[str, int] = {}
    best_pred: dict[str, str | None] = {}
    visiting: set[str] = set()

    def done(urn: str) -> int:
        if urn in finish:
            return finish[urn]
        if urn in visiting:
            raise ValueError(f"dependency cycle through {urn}")
        visiting.add(urn)
        pred, start = None, 0
        for dep in graph.get(urn, ()):
            t = done(dep)
            if t > start or (t == start and pred is not None and dep < pred):
                pred, start = dep, t
        visiting.discard(urn)
        best_pred[urn] = pred
        finish[urn] = start + typical_seconds(by_urn[urn])
        return finish[urn]

    for urn in graph:
        done(urn)
    if not finish:
        return CriticalPath([])
    end = max(finish, key=lambda u: (finish[u], u))
    chain: list[str] = []
    node: str | None = end
    while node is not None:
        chain.append(node)
        node = best_pred[node]
    chain.reverse()
    steps = []
    for urn in chain:
        r = by_urn[urn]
        secs = typical_seconds(r)
        steps.append(Step(urn, r.type, r.name, secs, finish[urn] - secs))
    # Zero-duration links (providers, random values) say nothing about time: keep the chain readable.
    return CriticalPath([s for s in steps if s.seconds > 0] or steps)


def waits_on(resources: list[PlannedResource], urn: str) -> set[str]:
    """Every custom resource `urn` transitively waits for."""
    graph = dependency_graph(resources)
    seen: set[str] = set()
    stack = list(graph.get(urn, ()))
    while stack:
        u = stack.pop()
        if u not in seen:
            seen.add(u)
            stack.extend(graph.get(u, ()))
    return seen
