"""Critical path on a small known graph and on the real dev stack."""

from __future__ import annotations

from stacks.offline import PlannedResource
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


def test_add_ons_wait_only_for_the_system_pool_and_related_add_ons():
    ev = evaluate_stack("dev")
    groups = {x.urn: x.inputs["labels"]["node-pool"] for x in ev.of_type("eks:index:ManagedNodeGroup")}
    releases = ev.of_type("kubernetes:helm.sh/v3:Release") + ev.of_type("aws:eks/addon:Addon")
    assert releases
    for release in releases:
        waited = waits_on(ev.resources, release.urn)
        assert {groups[u] for u in waited if u in groups} <= {"system"}, release.name
