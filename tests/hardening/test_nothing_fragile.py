"""Nothing fragile: in prod, no single node drain or AZ outage takes a platform service down.

Every service runs at least 2 replicas, has a PodDisruptionBudget (evictions leave one running) and
spreads its replicas across zones (`topology.kubernetes.io/zone`). The table below says where each of
these lives in the planned Helm values (or the CoreDNS add-on configuration); charts that have no value
for a budget get a PodDisruptionBudget of their own next to the release (PDB_RESOURCE). A chart that
truly cannot run more than one replica is an explicit, documented exception, and the exception is
re-checked against the committed chart fixture so that it disappears when the chart gains the key.

Every path in the table must exist upstream: the committed key skeletons under tests/fixtures/charts
(generated from the pinned charts' values.yaml by tests/tools/chart_skeleton.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from domain.services import SERVICES
from stacks.offline import Evaluation, PlannedResource
from tests.chart_keys import problems, skeleton
from tests.conftest import evaluate_stack

RELEASE = "kubernetes:helm.sh/v3:Release"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
ZONE_KEY = "topology.kubernetes.io/zone"
PDB_RESOURCE = "<PodDisruptionBudget resource>"  # the chart has no PDB value; the component creates one
COREDNS = "<EKS add-on coredns>"  # values: the coredns add-on's configurationValues (components/coredns.py)
# Top-level keys of the coredns add-on's configuration schema, kept by hand (`aws eks describe-addon-configuration
# --addon-name coredns --addon-version v1.12.4-eksbuild.1`).
COREDNS_ADDON_KEYS = frozenset({
    "affinity", "autoScaling", "computeType", "corefile", "nodeSelector", "podAnnotations", "podDisruptionBudget",
    "podLabels", "replicaCount", "resources", "tolerations", "topologySpreadConstraints",
})


@dataclass(frozen=True)
class Ha:
    """Where one service's replicas, disruption budget and zone spread live."""

    service: str
    release: str  # Helm release name, or COREDNS
    chart: str  # key skeleton: tests/fixtures/charts/<chart>.keys.json
    replicas: str  # dotted path in the values
    pdb: str  # dotted path in the values, or PDB_RESOURCE
    spread: str  # dotted path of topologySpreadConstraints (or `affinity` where the chart has only that)
    # Labels the chart puts on the service's pods (from its templates); selectors must be a subset.
    # None: the selector is rendered by the chart itself (a templated string), nothing to compare.
    pod_labels: dict[str, str] | None


TABLE = [
    *(Ha(s.name, s.namespace, s.chart.chart, s.ha.replicas, "podDisruptionBudget" if s.chart_pdb else PDB_RESOURCE,
         s.ha.spread, s.ha.pod_labels) for s in SERVICES),
    Ha("grafana", "kube-prometheus-stack", "kube-prometheus-stack", "grafana.replicas", "grafana.podDisruptionBudget",
       "grafana.topologySpreadConstraints",
       {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "kube-prometheus-stack"}),
    Ha("prometheus", "kube-prometheus-stack", "kube-prometheus-stack", "prometheus.prometheusSpec.replicas",
       "prometheus.podDisruptionBudget", "prometheus.prometheusSpec.topologySpreadConstraints",
       {"app.kubernetes.io/name": "prometheus", "prometheus": "kube-prometheus-stack-prometheus"}),
    Ha("alertmanager", "kube-prometheus-stack", "kube-prometheus-stack", "alertmanager.alertmanagerSpec.replicas",
       "alertmanager.podDisruptionBudget", "alertmanager.alertmanagerSpec.topologySpreadConstraints",
       {"app.kubernetes.io/name": "alertmanager", "alertmanager": "kube-prometheus-stack-alertmanager"}),
    Ha("cluster-autoscaler", "cluster-autoscaler", "cluster-autoscaler", "replicaCount", "podDisruptionBudget",
       "topologySpreadConstraints", {"app.kubernetes.io/instance": "cluster-autoscaler"}),
    Ha("metrics-server", "metrics-server", "metrics-server", "replicas", "podDisruptionBudget",
       "topologySpreadConstraints", {"app.kubernetes.io/name": "metrics-server", "app.kubernetes.io/instance": "metrics-server"}),
    *(Ha(f"keda {part}", "keda", "keda", f"{part}.replicaCount", f"podDisruptionBudget.{budget}",
         f"topologySpreadConstraints.{part}", {"app": app})
      for part, budget, app in (("operator", "operator", "keda-operator"),
                                ("metricsServer", "metricServer", "keda-operator-metrics-apiserver"),
                                ("webhooks", "webhooks", "keda-admission-webhooks"))),
    Ha("coredns", COREDNS, COREDNS, "replicaCount", "podDisruptionBudget", "topologySpreadConstraints",
       {"k8s-app": "kube-dns"}),
]

# Services whose chart cannot run them highly available: (release, chart) -> why, and the chart keys whose
# absence makes it so (the exception fails once the pinned chart has one of them).
EXCEPTIONS: dict[str, dict[str, Any]] = {
    "gpu-operator (operator)": {
        "release": "gpu-operator",
        "chart": "gpu-operator",
        "absent_keys": ("operator.replicas", "operator.replicaCount", "operator.podDisruptionBudget",
                        "operator.topologySpreadConstraints"),
        "why": "the chart runs the operator as a single-replica Deployment with no replicas, PDB or spread "
               "value. It only reconciles: the driver, toolkit, device plugin and DCGM exporter are DaemonSets "
               "on the GPU nodes and keep serving while the operator is rescheduled (onto the system pool, "
               "which spans every AZ).",
    },
}
# Releases that run no pod at all (nothing to replicate): release -> why.
WITHOUT_PODS = {"prometheus-operator-crds": "CustomResourceDefinitions only (components/monitoring_crds.py)."}
# Not exceptions: ZenML (server.replicaCount) and lakeFS (replicaCount) are stateless servers on an external
# database (MySQL, PostgreSQL) with shared secrets, so their charts run any number of replicas.


def at(values: Any, path: str) -> Any:
    node = values
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def release_of(ev: Evaluation, release: str) -> PlannedResource:
    matches = [r for r in ev.of_type(RELEASE) if r.inputs.get("name") == release]
    assert len(matches) == 1, f"{len(matches)} Helm releases named {release}"
    return matches[0]


def values_of(ev: Evaluation, row: Ha) -> dict[str, Any]:
    if row.release == COREDNS:
        (addon,) = [a for a in ev.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "coredns"]
        config = addon.inputs["configurationValues"]
        return json.loads(config) if isinstance(config, str) else config
    return release_of(ev, row.release).inputs["values"]


def zone_selectors(spread: Any) -> list[dict[str, str] | None]:
    """The label selectors of the zone-keyed entries of a topologySpreadConstraints list, of a templated
    string of one (None: the chart renders the selector) or of an affinity's pod anti-affinity terms."""
    if isinstance(spread, str):
        if "{{" in spread:  # keycloakx: rendered with tpl; drop template lines to read the rest
            spread = "\n".join(line for line in spread.splitlines() if "{{" not in line)
        spread = yaml.safe_load(spread)
    if isinstance(spread, dict):  # affinity
        anti = spread.get("podAntiAffinity") or {}
        terms = [t.get("podAffinityTerm", t) for kind in ("requiredDuringSchedulingIgnoredDuringExecution",
                                                          "preferredDuringSchedulingIgnoredDuringExecution")
                 for t in anti.get(kind) or []]
        spread = terms
    return [(c.get("labelSelector") or {}).get("matchLabels") for c in spread or []
            if c.get("topologyKey") == ZONE_KEY]


def pdb_problems(budget: Any, replicas: int) -> list[str]:
    """A budget that exists, is on, and lets exactly the disruptions a drain needs (not zero, not all)."""
    if not isinstance(budget, dict) or not budget or budget.get("enabled") is False:
        return [f"no disruption budget: {budget!r}"]
    low, high = budget.get("minAvailable"), budget.get("maxUnavailable")
    if low is None and high is None:
        return [f"neither minAvailable nor maxUnavailable: {budget!r}"]
    problems = []
    if low is not None and not 1 <= int(low) < replicas:
        problems.append(f"minAvailable {low} with {replicas} replicas blocks drains or protects nothing")
    if high is not None and not 1 <= int(high) < replicas:
        problems.append(f"maxUnavailable {high} with {replicas} replicas blocks drains or protects nothing")
    return problems


def budget_resources(ev: Evaluation, namespace: str) -> list[PlannedResource]:
    return [r for r in ev.of_type(PDB) if r.inputs["metadata"].get("namespace") == namespace]


@pytest.mark.parametrize("row", TABLE, ids=[row.service for row in TABLE])
def test_prod_service_is_replicated_budgeted_and_spread(row: Ha) -> None:
    ev = evaluate_stack("prod")
    values = values_of(ev, row)
    replicas = at(values, row.replicas)
    assert replicas is not None and int(replicas) >= 2, f"{row.service}: {row.replicas} = {replicas}"
    replicas = int(replicas)

    if row.pdb == PDB_RESOURCE:
        namespace = release_of(ev, row.release).inputs["namespace"]
        budgets = budget_resources(ev, namespace)
        assert len(budgets) == 1, f"{row.service}: {len(budgets)} PodDisruptionBudgets in {namespace}"
        spec = budgets[0].inputs["spec"]
        assert pdb_problems(spec, replicas) == [], row.service
        selector = spec["selector"]["matchLabels"]
        assert selector and row.pod_labels and selector.items() <= row.pod_labels.items(), selector
    else:
        assert pdb_problems(at(values, row.pdb), replicas) == [], row.service

    selectors = zone_selectors(at(values, row.spread))
    assert selectors, f"{row.service}: nothing at {row.spread} spreads by {ZONE_KEY}"
    for selector in selectors:
        if row.pod_labels is None:
            assert selector is None  # the chart fills in its own selector labels
        else:
            assert selector and selector.items() <= row.pod_labels.items(), f"{row.service}: {selector}"


def known_upstream(chart: str, path: str) -> bool:
    if chart == COREDNS:
        return path.split(".")[0] in COREDNS_ADDON_KEYS
    return skeleton(chart).is_key(path)


@pytest.mark.parametrize("row", TABLE, ids=[row.service for row in TABLE])
def test_table_paths_exist_upstream(row: Ha) -> None:
    paths = [p for p in (row.replicas, row.pdb, row.spread) if p != PDB_RESOURCE]
    assert [p for p in paths if not known_upstream(row.chart, p)] == [], row.service
    if row.pdb == PDB_RESOURCE:  # ...and the chart really has no budget of its own
        assert not any(known_upstream(row.chart, p) for p in ("podDisruptionBudget", "pdb")), row.service


def test_every_planned_release_value_exists_upstream() -> None:
    """The whole prod values of every chart in the table, not only the HA paths (committed key skeletons)."""
    ev = evaluate_stack("prod")
    checked = set()
    for row in TABLE:
        if row.release == COREDNS or row.release in checked:
            continue
        checked.add(row.release)
        found = problems(row.chart, values_of(ev, row))
        assert found == [], f"{row.release}: {found}"
    assert sorted(set(values_of(ev, TABLE[-1])) - COREDNS_ADDON_KEYS) == []


def test_every_prod_release_is_in_the_table_or_an_exception() -> None:
    ev = evaluate_stack("prod")
    covered = {row.release for row in TABLE} | {e["release"] for e in EXCEPTIONS.values()} | set(WITHOUT_PODS)
    assert {r.inputs["name"] for r in ev.of_type(RELEASE)} <= covered


@pytest.mark.parametrize("name", sorted(EXCEPTIONS))
def test_exceptions_are_still_needed(name: str) -> None:
    """An exception stands only while the pinned chart lacks every key that would lift it."""
    exception = EXCEPTIONS[name]
    assert len(exception["why"]) > 80
    present = [k for k in exception["absent_keys"] if skeleton(exception["chart"]).is_key(k)]
    assert present == [], f"{name}: the chart now has {present}; move it into TABLE"
    release_of(evaluate_stack("prod"), exception["release"])  # the release exists in prod


def test_system_pool_spans_every_az() -> None:
    """Add-ons (CoreDNS, the autoscaler, gpu-operator...) survive an AZ loss only if system nodes do."""
    ev = evaluate_stack("prod")
    az_count = ev.settings.network.az_count
    private = [s for s in ev.of_type("aws:ec2/subnet:Subnet")
               if "kubernetes.io/role/internal-elb" in (s.inputs.get("tags") or {})]
    assert len({s.inputs["availabilityZone"] for s in private}) == az_count == 3
    (system,) = [g for g in ev.of_type("eks:index:ManagedNodeGroup")
                 if g.name == f"pools-{ev.settings.system_pool.name}"]
    # The mocks give every resource the id "<name>-id" (stacks/offline.py PlatformMocks.new_resource).
    assert sorted(system.inputs["subnetIds"]) == sorted(f"{s.name}-id" for s in private)
    assert int(system.inputs["scalingConfig"]["minSize"]) >= az_count


def test_checks_catch_fragile_values() -> None:
    """The helpers reject what they must: no budget, a budget that blocks drains, no zone key."""
    assert pdb_problems({}, 2) and pdb_problems({"enabled": False, "minAvailable": 1}, 2)
    assert pdb_problems({"minAvailable": 2}, 2) and pdb_problems({"maxUnavailable": 0}, 2)
    assert pdb_problems({"enabled": True, "minAvailable": 1}, 2) == []
    assert zone_selectors([{"topologyKey": "kubernetes.io/hostname", "labelSelector": {}}]) == []
    assert zone_selectors({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 1, "podAffinityTerm": {"topologyKey": ZONE_KEY, "labelSelector": {"matchLabels": {"a": "b"}}}}]}}) \
        == [{"a": "b"}]
