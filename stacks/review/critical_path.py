"""Deployment critical path: the longest chain of creations in the planned dependency graph.

Edges come from explicit `depends_on`, from inputs that are other resources' outputs (both are in
the registration's dependencies) and from the provider a resource is created with (a Kubernetes resource
waits for the cluster its provider's kubeconfig comes from). Depending on a component means depending on
all of its children. Durations are typical create times, documented below; they rank chains, they don't
promise a time. A resource whose pods wait for Cluster Autoscaler to add a node to a pool at zero also
waits for that node (`scale_ups`, from stacks/review/first_deploy.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from stacks.offline import PlannedResource

# Typical create durations in seconds, by resource type. Sources where one exists, else observed runs.
TYPICAL_SECONDS: dict[str, int] = {
    # Control plane about 10 min (AWS EKS user guide, "Create a cluster": the status stays CREATING for
    # several minutes; eksctl documents 10-15 min with node groups), plus the OIDC provider and the
    # vpc-cni/kube-proxy add-ons pulumi-eks creates inside the component.
    "eks:index:Cluster": 600,
    "eks:index:ManagedNodeGroup": 240,  # observed 3-5 min until the nodes are Ready
    "kubernetes:helm.sh/v3:Release": 120,  # ~2 min to a ready release (images pulled)
    # Single-AZ: create, then the first automated backup before the instance is `available` (backups are
    # on in every stack). Multi-AZ is `MULTI_AZ_RDS_SECONDS` below.
    "aws:rds/instance:Instance": 600,
    "aws:rds/cluster:Cluster": 300,
    "aws:rds/clusterInstance:ClusterInstance": 480,
    "aws:ec2/natGateway:NatGateway": 100,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 90,  # interface endpoints create ENIs per AZ (~1-2 min); gateways are quick
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
# A Multi-AZ instance is created, backed up, and its standby built from that backup and synchronised:
# "roughly 20 minutes or more" (AWS Cookbook, RDS Multi-AZ recipe), against ~10 for single-AZ.
MULTI_AZ_RDS_SECONDS = 1200
# A chart with no pods (CRDs only) is applied in seconds.
CHARTS_WITHOUT_PODS_SECONDS = 20
# Cluster Autoscaler notices the pending pod (~10 s scan), the node group launches an instance, and the
# node boots and joins: ~3 min, for pods that wait for a pool at zero.
SCALE_FROM_ZERO_SECONDS = 180


def typical_seconds(resource: PlannedResource) -> int:
    if not resource.is_resource or resource.type.startswith(("pulumi:providers:", "random:")):
        return 0
    if resource.type == "aws:rds/instance:Instance" and resource.inputs.get("multiAz"):
        return MULTI_AZ_RDS_SECONDS
    if resource.type == "aws:ec2/vpcEndpoint:VpcEndpoint" and resource.inputs.get("vpcEndpointType") == "Gateway":
        return 5
    if resource.type == "kubernetes:helm.sh/v3:Release" and chart_of(resource) in CHARTS_WITHOUT_PODS:
        return CHARTS_WITHOUT_PODS_SECONDS
    if resource.type in TYPICAL_SECONDS:
        return TYPICAL_SECONDS[resource.type]
    return DEFAULT_SECONDS.get(resource.type.split(":", 1)[0], 1)


CHARTS_WITHOUT_PODS = frozenset({"prometheus-operator-crds"})


def chart_of(release: PlannedResource) -> str:
    """The chart name of a Helm release (the last segment of an OCI reference)."""
    return str(release.inputs.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]


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
        provider = r.provider.rsplit("::", 1)[0] if r.provider else ""
        for d in {*r.all_dependencies, provider} - {""}:
            deps |= expand(d)
        deps.discard(r.urn)
        graph[r.urn] = deps
    return graph


def critical_path(resources: list[PlannedResource],
                  scale_ups: Mapping[str, tuple[str, int]] | None = None) -> CriticalPath:
    """The longest chain of creations.

    `scale_ups`: URN -> (URN of Cluster Autoscaler, seconds): the resource's pods also wait for a node the
    autoscaler adds to a pool at zero, so it starts no earlier than that many seconds after the autoscaler is
    ready (shown as a "scale-up" step)."""
    by_urn = {r.urn: r for r in resources}
    waits_for_node = scale_ups or {}
    graph = dependency_graph(resources)
    finish: dict[str, int] = {}
    best_pred: dict[str, str | None] = {}
    scaled: set[str] = set()  # resources whose start the node scale-up decides
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
        if urn in waits_for_node:
            autoscaler, seconds = waits_for_node[urn]
            if done(autoscaler) + seconds > start:
                pred, start = autoscaler, done(autoscaler) + seconds
                scaled.add(urn)
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
        begins = finish[urn] - secs
        if urn in scaled:
            gap = waits_for_node[urn][1]
            steps.append(Step(urn, "scale-up", f"node from zero for {r.name}", gap, begins - gap))
        steps.append(Step(urn, r.type, r.name, secs, begins))
    # Zero-duration links (providers, random values) say nothing about time: keep the chain readable.
    return CriticalPath([s for s in steps if s.seconds > 0] or steps)


def ancestors(graph: Mapping[str, set[str]], urn: str) -> set[str]:
    """Every node `urn` transitively waits for in `graph` (urn -> what it waits for)."""
    seen: set[str] = set()
    stack = list(graph.get(urn, ()))
    while stack:
        u = stack.pop()
        if u not in seen:
            seen.add(u)
            stack.extend(graph.get(u, ()))
    return seen


def waits_on(resources: list[PlannedResource], urn: str) -> set[str]:
    """Every custom resource `urn` transitively waits for."""
    return ancestors(dependency_graph(resources), urn)
