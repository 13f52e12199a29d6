"""First deploy: everything that waits for ready pods has a node pool to run on, in create order.

Each broken wiring the check exists for is rebuilt here (CoreDNS inside eks.Cluster, services on a pool at
zero without the autoscaler before them, an awaited GPU smoke test) and must be caught; every stack passes.
"""

from __future__ import annotations

import copy
import dataclasses
import json

import pulumi_eks as eks
import pytest

import components.cluster
import stacks.platform
from components.coredns import coredns_configuration
from stacks import plan
from stacks.offline import PlannedResource, evaluate, read_stack_config
from stacks.review.first_deploy import Placement, Pool, first_deploy, tolerated, waiters
from tests.conftest import evaluate_stack

SYSTEM_TAINT = ("CriticalAddonsOnly", "true", "NoSchedule")


def evaluate_fresh(stack: str):
    """Evaluate a stack without the session cache (the test changed the program)."""
    config, secret_keys = read_stack_config(stack)
    return evaluate(stack, config, secret_keys)


def stuck_names(resources: list[PlannedResource]) -> dict[str, str]:
    return {v.waiter.name: v.runs_on for v in first_deploy(resources).stuck}


def test_every_stack_deploys_from_nothing(stack_eval):
    report = first_deploy(stack_eval.resources)
    assert report.stuck == [], [(v.waiter.name, v.runs_on) for v in report.stuck]
    names = {v.waiter.name for v in report.verdicts}
    # What waits for pods: CoreDNS and the EBS CSI controller, every release with pods, the DB bootstrap Jobs.
    assert {"coredns", "storage-ebs-csi", "gpu-autoscaler", "metrics-server",
            "observability-kube-prometheus-stack"} <= names
    assert "monitoring-crds" not in names  # CRDs only: no pod, no node needed
    assert any(n.endswith("-db") for n in names)


def test_the_old_coredns_wiring_is_caught(monkeypatch):
    """Before the fix: configurationValues inside eks.Cluster, no add-on of our own after the system pool."""

    def old_options() -> eks.CoreDnsAddonOptionsArgs:
        settings = evaluate_stack("dev").settings
        return eks.CoreDnsAddonOptionsArgs(version=settings.cluster.addon_versions["coredns"],
                                           configuration_values=coredns_configuration(settings.system_pool, 2))

    monkeypatch.setattr(components.cluster, "coredns_addon_options", old_options)
    monkeypatch.setattr(stacks.platform, "CoreDns", lambda *args, **kwargs: None)
    ev = evaluate_fresh("dev")
    (cluster,) = ev.of_type("eks:index:Cluster")
    assert cluster.inputs["corednsAddonOptions"]["configurationValues"]["nodeSelector"] == {"node-pool": "system"}
    stuck = stuck_names(ev.resources)
    assert set(stuck) == {"cluster"}
    assert "created before any pool it fits (system)" in stuck["cluster"]


def test_coredns_enabled_without_values_is_caught_too():
    (cluster,) = [copy.deepcopy(r) for r in evaluate_stack("dev").of_type("eks:index:Cluster")]
    cluster.inputs["corednsAddonOptions"] = {"enabled": True}
    (waiter,) = waiters([cluster])
    assert waiter.placements[0].tolerations == ({"key": "CriticalAddonsOnly", "operator": "Exists"},)


def test_services_on_a_pool_at_zero_need_the_autoscaler_before_them(monkeypatch):
    """dev's cpu pool has minSize 0: without Cluster Autoscaler installed first, no node ever comes."""
    monkeypatch.setattr(stacks.platform, "pool_capacity",
                        lambda pools, groups, autoscaler: {p.name: [groups[p.name]] for p in pools})
    stuck = stuck_names(evaluate_fresh("dev").resources)
    assert stuck and all(n.startswith("services-") for n in stuck)
    assert "services-mlflow-release" in stuck and "services-mlflow-db" in stuck
    assert all("minSize 0 and Cluster Autoscaler is not installed before it" in why for why in stuck.values())


def test_dev_services_wait_for_the_autoscaler_and_a_node_from_zero():
    ev = evaluate_stack("dev")
    report = first_deploy(ev.resources)
    on_cpu = [v for v in report.verdicts if "pool cpu" in v.runs_on]
    assert on_cpu and all(v.scaled_by and "scaled from zero" in v.runs_on for v in on_cpu)
    assert set(report.scale_ups()) == {v.waiter.urn for v in on_cpu}


def test_an_awaited_gpu_smoke_test_is_caught():
    ev = evaluate_stack("dev")
    (job,) = [r for r in ev.of_type("kubernetes:batch/v1:Job") if r.name == "gpu-smoke-test"]
    assert job.inputs["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"
    awaited = copy.deepcopy(job)
    del awaited.inputs["metadata"]["annotations"]["pulumi.com/skipAwait"]
    resources = [awaited if r is job else r for r in ev.resources]
    stuck = stuck_names(resources)
    assert set(stuck) == {"gpu-smoke-test"}
    assert "GPU capacity (G/VT vCPU quota) would gate the deploy" in stuck["gpu-smoke-test"]


def test_a_release_with_skip_await_waits_for_nothing():
    ev = evaluate_stack("dev")
    release = next(r for r in ev.of_type("kubernetes:helm.sh/v3:Release") if r.name == "gpu-operator")
    quiet = dataclasses.replace(release, inputs={**release.inputs, "skipAwait": True})
    assert waiters([quiet]) == []


def test_a_chart_pinned_to_no_pool_is_caught():
    ev = evaluate_stack("prod")
    release = next(r for r in ev.of_type("kubernetes:helm.sh/v3:Release") if r.name == "metrics-server")
    values = copy.deepcopy(release.inputs["values"])
    values["nodeSelector"] = {"node-pool": "nowhere"}
    broken = dataclasses.replace(release, inputs={**release.inputs, "values": values})
    resources = [broken if r is release else r for r in ev.resources]
    assert stuck_names(resources) == {"metrics-server": "no node pool matches its nodeSelector and tolerations"}


@pytest.mark.parametrize(("toleration", "ok"), [
    ({"key": "CriticalAddonsOnly", "operator": "Exists"}, True),
    ({"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}, True),
    ({"key": "CriticalAddonsOnly", "operator": "Equal", "value": "false"}, False),
    ({"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoExecute"}, False),
    ({"operator": "Exists"}, True),
    ({"key": "other", "operator": "Exists"}, False),
])
def test_toleration_matching(toleration, ok):
    assert tolerated(SYSTEM_TAINT, [toleration]) is ok


def test_placement_fits_labels_affinity_and_taints():
    system = Pool("s", "system", {"node-pool": "system"}, (SYSTEM_TAINT,), 1, 3)
    cpu = Pool("c", "cpu", {"node-pool": "cpu"}, (), 0, 4)
    assert Placement().fits(cpu) and not Placement().fits(system)
    assert Placement({"node-pool": "system"}, ({"key": "CriticalAddonsOnly", "operator": "Exists"},)).fits(system)
    assert not Placement({"node-pool": "system"}).fits(cpu)
    assert Placement(required={"node-pool": frozenset({"cpu", "gpu"})}).fits(cpu)
    assert not Placement(required={"node-pool": frozenset({"gpu"})}).fits(cpu)


def test_plan_prints_the_first_deploy_section_and_fails_on_a_stuck_resource(monkeypatch, capsys):
    assert plan.main(["--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "== First deploy ==" in out and "have a node pool, in create order" in out
    monkeypatch.setattr(stacks.platform, "pool_capacity",
                        lambda pools, groups, autoscaler: {p.name: [groups[p.name]] for p in pools})
    assert plan.main(["--stack", "dev", "--json"]) == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["firstDeploy"]["ok"] is False
    assert any(w["stuck"] and w["name"] == "services-mlflow-release" for w in doc["firstDeploy"]["waiters"])
    assert "error: first deploy: services-mlflow-release" in captured.err


def test_database_bootstrap_jobs_wait_for_the_ingress_rule_of_their_database(stack_eval):
    """The instance alone is not enough: until its ingress rule exists, the Job's connections time out."""
    rules = {r.parent: r.urn for r in stack_eval.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r.parent.split("::")[-2].endswith("RdsInstance")}
    instances = {r.inputs["identifier"]: r.parent for r in stack_eval.of_type("aws:rds/instance:Instance")}
    jobs = [r for r in stack_eval.of_type("kubernetes:batch/v1:Job") if r.name.endswith("-db")]
    assert jobs and len(rules) == len(instances)
    for job in jobs:
        env = job.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
        host = next(e["value"] for e in env if e["name"] in ("PGHOST", "DB_HOST"))
        database = instances[host.split(".", 1)[0]]
        assert rules[database] in job.all_dependencies, job.name


def test_node_group_names_fit_63_characters(stack_eval):
    from domain.settings.node_pools import NODE_GROUP_NAME_MAX, UNIQUE_SUFFIX_LENGTH
    for group in stack_eval.of_type("eks:index:ManagedNodeGroup"):
        assert len(group.inputs["nodeGroupNamePrefix"]) + UNIQUE_SUFFIX_LENGTH <= NODE_GROUP_NAME_MAX
