"""The first deploy of a new environment: phase 1 (outside the VPC) never needs the Kubernetes API."""

from __future__ import annotations

import pytest

from stacks import phase_one
from stacks.offline import PlannedResource
from stacks.plan import table
from stacks.review.ci_access import ci_access_section
from tests.conftest import evaluate_stack


def test_phase_one_holds_network_cluster_runner_and_nothing_that_calls_kubernetes(stack_eval):
    resources = phase_one.phase_one(stack_eval)
    types = {r.type for r in resources}
    assert {"aws:ec2/vpc:Vpc", "eks:index:Cluster", "aws:codebuild/project:Project",
            "aws:codebuild/webhook:Webhook", "aws:iam/role:Role"} <= types
    assert [r.urn for r in resources if phase_one.talks_to_kubernetes(r)] == []
    assert "eks:index:ManagedNodeGroup" not in types and "kubernetes:helm.sh/v3:Release" not in types


def test_phase_one_is_closed_under_dependencies(stack_eval):
    """`pulumi up --target` fails on a dependency that is not targeted (pulumi/pulumi#5869)."""
    included = {r.urn for r in phase_one.phase_one(stack_eval)}
    by_urn = stack_eval.by_urn()
    for urn in included:
        assert by_urn[urn].all_dependencies <= included, urn


def test_targets_are_engine_urns_of_the_components_and_outside_dependencies(stack_eval):
    stack = stack_eval.stack
    urns = [phase_one.engine_urn(u) for u in phase_one.targets(stack_eval)]
    assert f"urn:pulumi:{stack}::mlplatform::mlplatform:network:Network::network" in urns
    assert f"urn:pulumi:{stack}::mlplatform::mlplatform:cluster:EksCluster::cluster" in urns
    assert f"urn:pulumi:{stack}::mlplatform::mlplatform:ci:DeployRunner::ci-runner" in urns
    assert not [u for u in urns if "pulumi:pulumi:Stack" in u]


def test_the_check_catches_a_kubernetes_resource_pulled_into_phase_one():
    """Rebuild a broken wiring: a Kubernetes object the runner would wait for."""
    ev = evaluate_stack("dev")
    runner = next(r for r in ev.resources if r.type == "mlplatform:ci:DeployRunner")
    namespace = next(r for r in ev.resources if r.type == "kubernetes:core/v1:Namespace")
    broken = PlannedResource(urn=runner.urn, type=runner.type, name=runner.name, inputs={}, masked_inputs={},
                             outputs={}, parent=runner.parent, dependencies=[namespace.urn], custom=False)
    ev.resources[ev.resources.index(runner)] = broken
    try:
        assert namespace.urn in [r.urn for r in phase_one.phase_one(ev) if phase_one.talks_to_kubernetes(r)]
    finally:
        ev.resources[ev.resources.index(broken)] = runner


def test_cli_prints_one_target_per_line(capsys):
    assert phase_one.main(["--stack", "prod"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith("--target=urn:pulumi:prod::mlplatform::") for line in lines)


def test_cli_exits_2_on_an_unknown_stack(capsys):
    assert phase_one.main(["--stack", "nope"]) == 2


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_section_lists_runner_endpoint_phase_one_and_entries(stack):
    text = ci_access_section(evaluate_stack(stack), table)
    assert f"CodeBuild project mlplatform-{stack}-deploy-runner" in text
    assert "API endpoint: private only" in text
    assert "0 call the Kubernetes API" in text
    assert f"cluster-creator  mlplatform-{stack}-deploy" in text
    assert "WARNING: mlplatform:ci.repository is the placeholder 'OWNER/mlplatform'" in text
