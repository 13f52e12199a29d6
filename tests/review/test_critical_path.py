"""Critical path on a small known graph and on the real dev stack."""

from __future__ import annotations

import pytest

from stacks.offline import PlannedResource
from stacks.plan import find_pool
from stacks.review.critical_path import critical_path, dependency_graph, waits_on
from tests.conftest import evaluate_stack


def r(name: str, typ: str, deps=(), parent="", custom=True) -> PlannedResource:
    return PlannedResource(urn=name, type=typ, name=name, inputs={}, masked_inputs={}, outputs={}, parent=parent,
                           dependencies=list(deps), custom=custom)


def test_longest_chain_on_a_known_graph():
    graph = [
        r("vpc", "aws:ec2/vpc:Vpc"),
        r("cluster", "eks:index:Cluster", ["vpc"]),
        r("db", "aws:rds/instance:Instance", ["vpc"]),
        r("pool", "eks:index:ManagedNodeGroup", ["cluster"]),
        r("addons", "mlplatform:x:Addons", custom=False),
        r("chart", "kubernetes:helm.sh/v3:Release", ["pool"], parent="addons"),
        r("app", "kubernetes:helm.sh/v3:Release", ["addons", "db"]),  # waits for the component's children
    ]
    path = critical_path(graph)
    assert [s.name for s in path.steps] == ["vpc", "cluster", "pool", "chart", "app"]
    assert path.total_seconds == 5 + 600 + 240 + 120 + 120
    assert dependency_graph(graph)["app"] == {"chart", "db"}


def test_dev_path_is_network_cluster_one_pool_then_add_ons():
    ev = evaluate_stack("dev")
    steps = critical_path(ev.resources).steps
    types = [s.type for s in steps]
    assert types[0].startswith("aws:ec2/")
    i = types.index("eks:index:Cluster")
    assert all(t.startswith("aws:ec2/") for t in types[:i])
    assert types[i + 1] == "eks:index:ManagedNodeGroup"
    assert types.count("eks:index:ManagedNodeGroup") == 1
    assert not any(t.startswith("aws:ec2/") for t in types[i:])


# The only add-on another add-on may wait for: kube-prometheus-stack installs the monitoring CRDs.
CRD_PROVIDERS = {"kube-prometheus-stack"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_add_on_waits_on_an_unrelated_add_on(stack):
    ev = evaluate_stack(stack)
    groups = {x.urn: x.inputs["labels"]["node-pool"] for x in ev.of_type("eks:index:ManagedNodeGroup")}
    releases = {x.urn: x for x in ev.of_type("kubernetes:helm.sh/v3:Release")}
    assert len(releases) >= 7
    for urn, release in releases.items():
        waited = waits_on(ev.resources, urn)
        waited_releases = {releases[u].inputs["name"] for u in waited if u in releases}
        assert waited_releases <= CRD_PROVIDERS, release.name
        own_pool = find_pool(release.inputs.get("values") or {})
        allowed_pools = {"system", own_pool}
        for u in waited:
            if u in releases:
                allowed_pools |= {find_pool(releases[u].inputs.get("values") or {}), "system"}
        assert {groups[u] for u in waited if u in groups} <= allowed_pools, release.name


def test_the_autoscaler_waits_for_nothing_but_the_system_pool():
    ev = evaluate_stack("dev")
    groups = {x.urn: x.inputs["labels"]["node-pool"] for x in ev.of_type("eks:index:ManagedNodeGroup")}
    (ca,) = [r for r in ev.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == "cluster-autoscaler"]
    waited = waits_on(ev.resources, ca.urn)
    assert {groups[u] for u in waited if u in groups} == {"system"}
    assert not [u for u in waited if "helm.sh" in u]
