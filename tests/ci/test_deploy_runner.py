"""Every stack gets a CI runner inside its VPC that can reach its private API, with a least-privilege role."""

from __future__ import annotations

import json

import pytest

from components.deploy_runner import runner_policy, runner_trust_policy
from domain.ci import runner_label, runner_project_name
from domain.settings import SettingsError, load_settings
from stacks.offline import Evaluation
from tests.conftest import evaluate_stack


def runner_parts(ev: Evaluation) -> dict:
    runner = next(r for r in ev.resources if r.type == "mlplatform:ci:DeployRunner")
    return {r.type: r for r in ev.resources if r.parent == runner.urn}


def test_runner_is_a_codebuild_project_in_the_private_subnets(stack_eval):
    parts = runner_parts(stack_eval)
    project = parts["aws:codebuild/project:Project"].inputs
    (cluster,) = stack_eval.of_type("eks:index:Cluster")
    assert sorted(project["vpcConfig"]["subnets"]) == sorted(cluster.inputs["privateSubnetIds"])
    assert all("private" in s for s in project["vpcConfig"]["subnets"])
    assert project["vpcConfig"]["securityGroupIds"] == [f"{parts['aws:ec2/securityGroup:SecurityGroup'].name}-id"]
    assert project["name"] == runner_project_name(stack_eval.settings.cluster_name)
    assert project["source"]["type"] == "GITHUB"
    assert project["source"]["location"] == f"https://github.com/{stack_eval.settings.ci.repository}.git"
    assert project["environment"]["type"] == "LINUX_CONTAINER"
    assert project["artifacts"] == {"type": "NO_ARTIFACTS"}


def test_webhook_starts_a_runner_per_queued_workflow_job(stack_eval):
    hook = runner_parts(stack_eval)["aws:codebuild/webhook:Webhook"].inputs
    assert hook["buildType"] == "BUILD"
    assert hook["filterGroups"] == [{"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}]


def test_the_cluster_security_group_admits_the_runner_on_443(stack_eval):
    parts = runner_parts(stack_eval)
    rule = parts["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"].inputs
    (cluster,) = stack_eval.of_type("eks:index:Cluster")
    assert rule["securityGroupId"] == cluster.outputs["clusterSecurityGroupId"]
    assert rule["referencedSecurityGroupId"] == f"{parts['aws:ec2/securityGroup:SecurityGroup'].name}-id"
    assert (rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (443, 443, "tcp")
    (egress,) = parts["aws:ec2/securityGroup:SecurityGroup"].inputs["egress"]
    assert (egress["fromPort"], egress["toPort"]) == (443, 443)


def test_runner_role_writes_logs_and_joins_the_vpc_only():
    doc = json.loads(runner_policy("arn:aws:logs:us-west-2:1:log-group:/aws/codebuild/p", "us-west-2", "1", ["subnet-a"]))
    actions = {a for st in doc["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    assert not [a for a in actions if a.split(":")[0] not in ("logs", "ec2")]
    assert not [a for a in actions if a.endswith("*")]
    (perm,) = [st for st in doc["Statement"] if st["Action"] == "ec2:CreateNetworkInterfacePermission"]
    assert perm["Condition"]["ArnEquals"]["ec2:Subnet"] == ["arn:aws:ec2:us-west-2:1:subnet/subnet-a"]
    assert perm["Condition"]["StringEquals"]["ec2:AuthorizedService"] == "codebuild.amazonaws.com"
    trust = json.loads(runner_trust_policy("1"))["Statement"][0]
    assert trust["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "1"}}


def test_project_waits_for_its_role_policy(stack_eval):
    parts = runner_parts(stack_eval)
    assert parts["aws:iam/rolePolicy:RolePolicy"].urn in parts["aws:codebuild/project:Project"].dependencies


def test_stack_output_names_the_runs_on_label(stack_eval):
    project = runner_project_name(stack_eval.settings.cluster_name)
    assert stack_eval.outputs["ciRunner"] == {"project": project, "runsOn": runner_label(project)}
    assert runner_label("p") == "codebuild-p-${{ github.run_id }}-${{ github.run_attempt }}"


def test_external_runner_needs_no_runner_but_a_public_endpoint():
    ev = evaluate_stack("dev", {"ci": {"runner": "external"},
                                "cluster": {"endpointPublicAccess": True, "publicAccessCidrs": ["52.94.76.0/24"]}})
    assert not [r for r in ev.resources if r.type.startswith("aws:codebuild")]
    assert "ciRunner" not in ev.outputs
    with pytest.raises(SettingsError, match="mlplatform:ci.runner: 'external' runs CI outside the VPC"):
        load_settings("prod", {"ci": {"runner": "external"}})


@pytest.mark.parametrize("cidr", ["192.0.2.0/24", "198.51.100.0/25", "203.0.113.7/32"])
def test_documentation_ranges_are_rejected(cidr):
    with pytest.raises(SettingsError, match="mlplatform:cluster.publicAccessCidrs: .*RFC 5737"):
        load_settings("dev", {"cluster": {"endpointPublicAccess": True, "publicAccessCidrs": [cidr]}})


def test_stack_files_hold_no_documentation_range_and_a_private_endpoint(stack_eval):
    cluster = stack_eval.settings.cluster
    assert cluster.endpoint_public_access is False and cluster.public_access_cidrs == []
    assert stack_eval.settings.ci.runner == "codebuild"
