"""First deploy: does everything that waits for ready pods have somewhere to run, in create order?

On the first `pulumi up` no node exists until a node group is created. A resource whose creation
waits for its pods to become ready (an EKS add-on that runs a Deployment, a Helm release installed with
wait/atomic, an awaited Job, Deployment or StatefulSet) never finishes if, when it is created, no node
can take its pods. The engine creates a resource once everything it depends on exists, so "before it" means
"among what it transitively depends on" (the planned dependency graph). A waiter can run if one of the
pools its pods fit (nodeSelector matches the pool's labels, tolerations cover its NoSchedule/NoExecute
taints):

- was created before it with minSize > 0, or
- was created before it, can grow (maxSize > 0), and Cluster Autoscaler was installed before it (it scales
  any managed node group of the cluster from zero, see components/gpu/autoscaler.py).

A waiter whose pods fit GPU pools only is a finding whatever the sizes: a new account often has no G/VT
vCPU quota, so GPU capacity must never gate a deploy (the GPU smoke test is not awaited).

Where a chart's pods go is read from its values: every map with a `nodeSelector` key is one workload
(with its sibling `tolerations` and `affinity`); DaemonSets set only tolerations and never block a wait
(they want zero pods while no node matches). A chart whose values place nothing runs its pods with no
selector and no tolerations. Charts without pods (CRDs only) need no node.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stacks.offline import PlannedResource
from stacks.review.critical_path import (
    CHARTS_WITHOUT_PODS,
    SCALE_FROM_ZERO_SECONDS,
    ancestors,
    chart_of,
    dependency_graph,
)

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_GROUP = "eks:index:ManagedNodeGroup"
CLUSTER = "eks:index:Cluster"
ADDON = "aws:eks/addon:Addon"
AWAITED_WORKLOADS = ("kubernetes:batch/v1:Job", "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet")
SKIP_AWAIT = "pulumi.com/skipAwait"
AUTOSCALER_CHART = "cluster-autoscaler"
GPU_TAINT_KEY = "nvidia.com/gpu"
POOL_LABEL = "node-pool"

# Where the Deployment of each EKS add-on takes its placement from in configurationValues, and its
# default tolerations when none is given. Add-ons that run only DaemonSets are absent: they never block.
ADDON_WORKLOADS: dict[str, str] = {"coredns": "", "aws-ebs-csi-driver": "controller", "metrics-server": "",
                                   "aws-efs-csi-driver": "controller", "snapshot-controller": ""}
DAEMONSET_ADDONS = frozenset({"vpc-cni", "kube-proxy", "eks-pod-identity-agent", "amazon-cloudwatch-observability",
                              "aws-guardduty-agent", "aws-network-flow-monitoring-agent"})
ADDON_DEFAULT_TOLERATIONS = [{"key": "CriticalAddonsOnly", "operator": "Exists"}]


@dataclass(frozen=True)
class Pool:
    urn: str
    name: str
    labels: Mapping[str, str]
    taints: tuple[tuple[str, str, str], ...]  # (key, value, effect as Kubernetes spells it)
    min_size: int
    max_size: int

    @property
    def is_gpu(self) -> bool:
        return any(key == GPU_TAINT_KEY for key, _, _ in self.taints)


@dataclass(frozen=True)
class Placement:
    """Where a workload's pods may go: nodeSelector, required node affinity (key -> allowed values), tolerations."""

    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    required: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def fits(self, pool: Pool) -> bool:
        if any(pool.labels.get(k) != v for k, v in self.node_selector.items()):
            return False
        if any(pool.labels.get(k) not in allowed for k, allowed in self.required.items()):
            return False
        return all(tolerated(taint, self.tolerations) for taint in pool.taints if taint[2] != "PreferNoSchedule")


@dataclass(frozen=True)
class Waiter:
    urn: str
    type: str
    name: str
    placements: tuple[Placement, ...]


@dataclass(frozen=True)
class Verdict:
    waiter: Waiter
    runs_on: str  # how the waiter gets nodes, or why it cannot
    stuck: bool
    scaled_by: str = ""  # URN of the Cluster Autoscaler release that must add its node, if any


@dataclass(frozen=True)
class FirstDeployReport:
    verdicts: list[Verdict]

    @property
    def stuck(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.stuck]

    def scale_ups(self) -> dict[str, tuple[str, int]]:
        """URN -> (autoscaler URN, seconds to add a node) of the waiters whose pool starts at zero."""
        return {v.waiter.urn: (v.scaled_by, SCALE_FROM_ZERO_SECONDS) for v in self.verdicts if v.scaled_by}

    def as_dict(self) -> dict[str, Any]:
        return {"ok": not self.stuck,
                "waiters": [{"type": v.waiter.type, "name": v.waiter.name, "runsOn": v.runs_on, "stuck": v.stuck}
                            for v in self.verdicts]}


def tolerated(taint: tuple[str, str, str], tolerations: Iterable[Mapping[str, Any]]) -> bool:
    key, value, effect = taint
    for t in tolerations:
        if t.get("effect") and t["effect"] != effect:
            continue
        operator = t.get("operator", "Equal")
        if not t.get("key") and operator == "Exists":
            return True
        if t.get("key") == key and (operator == "Exists" or str(t.get("value", "")) == value):
            return True
    return False


EKS_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


def node_pools(resources: Iterable[PlannedResource]) -> list[Pool]:
    pools = []
    for r in resources:
        if r.type != NODE_GROUP:
            continue
        i = r.inputs
        scaling = i.get("scalingConfig") or {}
        labels = {str(k): str(v) for k, v in (i.get("labels") or {}).items()}
        taints = tuple((t["key"], str(t.get("value", "")), EKS_EFFECTS.get(t["effect"], t["effect"]))
                       for t in i.get("taints") or [])
        pools.append(Pool(r.urn, labels.get(POOL_LABEL, r.name), labels, taints,
                          int(scaling.get("minSize", 0)), int(scaling.get("maxSize", 0))))
    return pools


def required_affinity(affinity: Any) -> dict[str, frozenset[str]]:
    """`In` expressions of the first required node selector term (what our pool affinities use)."""
    if not isinstance(affinity, Mapping):
        return {}
    required = (affinity.get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = required.get("nodeSelectorTerms") or []
    if len(terms) != 1:
        return {}
    return {e["key"]: frozenset(e.get("values") or []) for e in terms[0].get("matchExpressions") or []
            if e.get("operator") == "In"}


def placement_of(spec: Mapping[str, Any], default_tolerations: Iterable[Mapping[str, Any]] = ()) -> Placement:
    tolerations = spec.get("tolerations")
    return Placement(dict(spec.get("nodeSelector") or {}),
                     tuple(tolerations if isinstance(tolerations, list) else default_tolerations),
                     required_affinity(spec.get("affinity")))


def chart_placements(values: Any) -> list[Placement]:
    """Every map with a `nodeSelector` in a chart's values: one workload each."""
    found: list[Placement] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if isinstance(node.get("nodeSelector"), Mapping):
                found.append(placement_of(node))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(values)
    return found


def cluster_waits_for_coredns(cluster: PlannedResource) -> Placement | None:
    """The CoreDNS pods eks.Cluster waits for, if any. pulumi-eks creates the coredns add-on inside the component
    when it is enabled explicitly (`enabled: true` or `configurationValues`, `corednsExplicitlyEnabled` in
    nodejs/eks/cluster/cluster.ts), or with a default node group or Fargate (then they run there: not checked)."""
    options = cluster.inputs.get("corednsAddonOptions") or {}
    if options.get("enabled") is not True and not options.get("configurationValues"):
        return None
    return placement_of(options.get("configurationValues") or {}, ADDON_DEFAULT_TOLERATIONS)


def waiters(resources: Iterable[PlannedResource]) -> list[Waiter]:
    found = []
    for r in resources:
        placements: list[Placement] | None = None
        if r.type == CLUSTER:
            coredns = cluster_waits_for_coredns(r)
            placements = [coredns] if coredns is not None else None
        elif r.type == ADDON:
            addon = r.inputs.get("addonName", "")
            if addon not in DAEMONSET_ADDONS:
                config = r.inputs.get("configurationValues") or "{}"
                values = json.loads(config) if isinstance(config, str) else config
                path = ADDON_WORKLOADS.get(addon, "")
                spec = values.get(path, {}) if path else values
                placements = [placement_of(spec, ADDON_DEFAULT_TOLERATIONS)]
        elif r.type == HELM_RELEASE:
            if not r.inputs.get("skipAwait") and chart_of(r) not in CHARTS_WITHOUT_PODS:
                placements = chart_placements(r.inputs.get("values") or {}) or [Placement()]
        elif r.type in AWAITED_WORKLOADS:
            annotations = (r.inputs.get("metadata") or {}).get("annotations") or {}
            if str(annotations.get(SKIP_AWAIT, "")).lower() != "true":
                pod = ((r.inputs.get("spec") or {}).get("template") or {}).get("spec") or {}
                placements = [placement_of(pod)]
        if placements is not None:
            found.append(Waiter(r.urn, r.type, r.name, tuple(placements)))
    return found


@dataclass(frozen=True)
class Outcome:
    how: str
    stuck: bool = False
    scaled: bool = False


def where_it_runs(placement: Placement, pools: list[Pool], before: set[str], autoscaler_before: bool) -> Outcome:
    """How one workload of a waiter gets a node on the first deploy, or why it never does."""
    fitting = [p for p in pools if placement.fits(p)]
    if not fitting:
        return Outcome("no node pool matches its nodeSelector and tolerations", stuck=True)
    if all(p.is_gpu for p in fitting):
        return Outcome(f"GPU pools only ({', '.join(p.name for p in fitting)}): GPU capacity (G/VT vCPU quota) "
                       "would gate the deploy; do not await it", stuck=True)
    ready = [p for p in fitting if p.urn in before and p.min_size > 0]
    if ready:
        return Outcome(f"pool {ready[0].name} (min {ready[0].min_size})")
    growable = [p for p in fitting if p.urn in before and p.max_size > 0]
    if growable and autoscaler_before:
        return Outcome(f"pool {growable[0].name} scaled from zero by Cluster Autoscaler", scaled=True)
    if growable:
        return Outcome(f"pool {growable[0].name} has minSize 0 and Cluster Autoscaler is not installed before it: "
                       "it would wait for a node that never comes", stuck=True)
    return Outcome(f"created before any pool it fits ({', '.join(p.name for p in fitting)}) can have a node: it "
                   "would wait for nodes that do not exist", stuck=True)


def first_deploy(resources: list[PlannedResource]) -> FirstDeployReport:
    graph = dependency_graph(resources)
    pools = node_pools(resources)
    autoscalers = {r.urn for r in resources if r.type == HELM_RELEASE and chart_of(r) == AUTOSCALER_CHART}
    verdicts = []
    for w in waiters(resources):
        before = ancestors(graph, w.urn)
        installed = sorted(autoscalers & before)
        outcomes = [where_it_runs(p, pools, before, bool(installed)) for p in w.placements]
        shown = [o for o in outcomes if o.stuck] or outcomes
        scaled_by = installed[0] if any(o.scaled for o in outcomes) else ""
        verdicts.append(Verdict(w, "; ".join(dict.fromkeys(o.how for o in shown)), any(o.stuck for o in outcomes),
                                scaled_by))
    return FirstDeployReport(sorted(verdicts, key=lambda v: (not v.stuck, v.waiter.name)))
