"""Critical path on a small known graph and on the real dev stack."""

from __future__ import annotations

import dataclasses

import pytest

from stacks import plan
from stacks.offline import PlannedResource
from stacks.plan import find_pool
from stacks.review.critical_path import (
    MULTI_AZ_RDS_SECONDS,
    TYPICAL_SECONDS,
    critical_path,
    dependency_graph,
    typical_seconds,
    waits_on,
)
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


# The only release another release may wait for: the Prometheus Operator CRDs (their own chart), and
# Cluster Autoscaler for pods on a pool that starts at zero.
CRD_PROVIDERS = {"prometheus-operator-crds", "cluster-autoscaler"}


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
        allowed_pools = {"system", own_pool, "-"}
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


def test_the_provider_links_kubernetes_resources_to_their_cluster():
    ev = evaluate_stack("dev")
    (cluster,) = ev.of_type("eks:index:Cluster")
    (crds,) = [r for r in ev.of_type("kubernetes:helm.sh/v3:Release") if r.name == "monitoring-crds"]
    namespaces = ev.of_type("kubernetes:core/v1:Namespace")
    assert namespaces and all(cluster.urn in waits_on(ev.resources, ns.urn) for ns in namespaces)
    assert cluster.urn in waits_on(ev.resources, crds.urn)


def test_multi_az_databases_take_longer_than_single_az():
    single = r("db", "aws:rds/instance:Instance")
    multi = dataclasses.replace(single, inputs={"multiAz": True})
    assert typical_seconds(multi) == MULTI_AZ_RDS_SECONDS > typical_seconds(single)


def test_a_scale_up_from_zero_is_one_step_after_the_autoscaler():
    graph = [r("pool", "eks:index:ManagedNodeGroup"), r("ca", "kubernetes:helm.sh/v3:Release", ["pool"]),
             r("job", "kubernetes:batch/v1:Job", ["pool", "ca"]), r("app", "kubernetes:helm.sh/v3:Release", ["job"])]
    path = critical_path(graph, {"job": ("ca", 180), "app": ("ca", 180)})
    assert [(s.type, s.seconds) for s in path.steps] == [
        ("eks:index:ManagedNodeGroup", 240), ("kubernetes:helm.sh/v3:Release", 120), ("scale-up", 180),
        ("kubernetes:batch/v1:Job", 60), ("kubernetes:helm.sh/v3:Release", 120)]
    assert path.total_seconds == 240 + 120 + 180 + 60 + 120


def resources_under(ev, component_type: str) -> list[str]:
    """URNs of the custom resources below every component of a type."""
    parents = {x.urn for x in ev.resources if x.type == component_type}
    found: list[str] = []
    frontier = set(parents)
    while frontier:
        children = [x for x in ev.resources if x.parent in frontier]
        found += [x.urn for x in children if x.is_resource]
        frontier = {x.urn for x in children}
    return found


# What serves GPU work must never wait for these: a database, its bootstrap, or the monitoring stack.
DATABASE_OR_MONITORING = ("aws:rds/", "mlplatform:observability:Observability", "kube-prometheus-stack")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_nothing_that_serves_gpu_work_waits_on_a_database_or_monitoring(stack):
    ev = evaluate_stack(stack)
    by_urn = ev.by_urn()
    observability = set(resources_under(ev, "mlplatform:observability:Observability"))
    services = set(resources_under(ev, "mlplatform:services:PlatformServices"))
    gpu = resources_under(ev, "mlplatform:gpu:GpuStack")
    assert len(gpu) > 10
    for urn in gpu:
        waited = waits_on(ev.resources, urn)
        assert not waited & observability, (by_urn[urn].name, sorted(by_urn[u].name for u in waited & observability))
        assert not waited & services, (by_urn[urn].name, sorted(by_urn[u].name for u in waited & services))
        assert not [u for u in waited if by_urn[u].type.startswith("aws:rds/")], by_urn[urn].name


def bound_seconds(ev) -> tuple[int, int]:
    """The goal's two chains: cluster + system pool + one release, and the slowest database + its bootstrap
    Job + one release (each behind the VPC and a subnet), + Keycloak's realm Job, which runs against the
    started Keycloak."""
    network = TYPICAL_SECONDS["aws:ec2/vpc:Vpc"] + TYPICAL_SECONDS["aws:ec2/subnet:Subnet"]
    release, job = TYPICAL_SECONDS["kubernetes:helm.sh/v3:Release"], TYPICAL_SECONDS["kubernetes:batch/v1:Job"]
    cluster = network + TYPICAL_SECONDS["eks:index:Cluster"] + TYPICAL_SECONDS["eks:index:ManagedNodeGroup"] + release
    realm = job if any(r.name.endswith("-keycloak-config") for r in ev.of_type("kubernetes:batch/v1:Job")) else 0
    database = (network + max(typical_seconds(x) for x in ev.of_type("aws:rds/instance:Instance")) + job + release
                + realm)
    return cluster, database


def test_prods_critical_path_is_no_longer_than_its_slower_essential_chain():
    ev = evaluate_stack("prod")
    path = plan.review(ev).path
    cluster, database = bound_seconds(ev)
    glue = sum(s.seconds for s in path.steps if s.seconds < 10)  # IAM roles, secrets, subnet groups: seconds
    assert path.total_seconds - glue <= max(cluster, database), [(s.name, s.seconds) for s in path.steps]
    assert database > cluster  # Multi-AZ RDS is the slow part of a prod deploy, not the cluster


def test_the_gpu_layer_is_off_prods_critical_path_and_early():
    ev = evaluate_stack("prod")
    path = plan.review(ev).path
    assert not any(s.name.startswith("gpu-") for s in path.steps)
    cluster, _ = bound_seconds(ev)
    (operator,) = [x for x in ev.of_type("kubernetes:helm.sh/v3:Release") if x.name == "gpu-operator"]
    assert finish_time(ev, operator.urn) <= cluster + 60  # right after the system pool (+ CRDs and glue)


def finish_time(ev, urn: str) -> int:
    """When a resource is done, by the same model (the critical path of its own dependency cone)."""
    cone = waits_on(ev.resources, urn) | {urn}
    keep = [x for x in ev.resources if x.urn in cone or not x.is_resource]
    return critical_path(keep).total_seconds
