"""Access entries as code: the inputs the eks.Cluster component receives, per stack (contract tests).

pulumi-eks (nodejs/eks/cluster/cluster.ts) hard-codes bootstrapClusterCreatorAdminPermissions: true and
turns each `accessEntries` item into an aws.eks.AccessEntry plus one AccessPolicyAssociation per policy
(authenticationMode.ts createAccessEntries). These tests pin what we send it.
"""

from __future__ import annotations

import pytest

from components.cluster_access import CLUSTER_ADMIN_POLICY, VIEW_POLICY, access_grants, access_table
from domain.ci import role_name
from domain.settings import SettingsError, load_settings
from stacks.offline import ACCOUNT_ID
from tests.conftest import evaluate_stack

ADMIN = "arn:aws:iam::123456789012:role/PlatformAdmins"
RESEARCHER = "arn:aws:iam::123456789012:role/ml-research-members"


def entries_of(ev) -> dict:
    (cluster,) = ev.of_type("eks:index:Cluster")
    return cluster.inputs["accessEntries"]


def test_every_stack_has_preview_and_break_glass_entries_and_no_creator_entry(stack_eval):
    env = stack_eval.settings.environment
    entries = entries_of(stack_eval)
    arn = f"arn:aws:iam::{ACCOUNT_ID}:role/"
    assert entries["ci-preview"]["principalArn"] == arn + role_name("mlplatform", env, "preview")
    assert entries["ci-preview"]["accessPolicies"]["policy"] == {
        "policyArn": VIEW_POLICY, "accessScope": {"type": "cluster"}}
    assert entries["break-glass"]["principalArn"] == arn + role_name("mlplatform", env, "break-glass")
    assert entries["break-glass"]["accessPolicies"]["policy"]["policyArn"] == CLUSTER_ADMIN_POLICY
    # The deploy role is the creator: EKS's bootstrap entry makes it admin; an explicit one would collide.
    deploy = arn + role_name("mlplatform", env, "deploy")
    assert deploy not in [e["principalArn"] for e in entries.values()]
    assert all(e.get("type", "STANDARD") == "STANDARD" for e in entries.values())


def test_api_authentication_only_so_entries_are_the_whole_story(stack_eval):
    (cluster,) = stack_eval.of_type("eks:index:Cluster")
    assert cluster.inputs["authenticationMode"] == "API"  # no aws-auth ConfigMap


def test_admins_and_team_roles_from_config():
    teams = [{"name": "ml-research", "ownersGroup": "ml-research", "gpuQuota": 2, "roleArns": [RESEARCHER]}]
    ev = evaluate_stack("dev", {"cluster": {"adminPrincipalArns": [ADMIN]}, "teams": teams})
    entries = entries_of(ev)
    assert entries["admin-platformadmins"] == {
        "principalArn": ADMIN,
        "accessPolicies": {"policy": {"policyArn": CLUSTER_ADMIN_POLICY, "accessScope": {"type": "cluster"}}}}
    team = entries["team-ml-research-ml-research-members"]
    assert team["principalArn"] == RESEARCHER
    assert team["kubernetesGroups"] == ["ml-research"]
    assert "accessPolicies" not in team  # RBAC only: the team's RoleBinding grants what the group may do


def test_team_access_entry_group_is_the_group_the_role_binding_binds():
    teams = [{"name": "ml-research", "ownersGroup": "researchers", "gpuQuota": 2, "roleArns": [RESEARCHER]}]
    ev = evaluate_stack("dev", {"teams": teams})
    groups = {g for e in entries_of(ev).values() for g in e.get("kubernetesGroups", [])}
    bindings = ev.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    bound = {s["name"] for b in bindings for s in b.inputs["subjects"] if s["kind"] == "Group"}
    assert groups == {"researchers"} and groups <= bound


def test_the_plan_lists_the_creator_entry_first():
    rows = access_table(load_settings("prod", {}))
    assert rows[0][:3] == ["cluster-creator", "mlplatform-prod-deploy", "AmazonEKSClusterAdminPolicy"]
    assert [r[0] for r in rows[1:]] == [g.key for g in access_grants(load_settings("prod", {}))]


@pytest.mark.parametrize("purpose", ["deploy", "preview", "break-glass"])
def test_listing_a_ci_role_again_is_rejected(purpose):
    arn = f"arn:aws:iam::123456789012:role/mlplatform-staging-{purpose}"
    with pytest.raises(SettingsError) as err:
        load_settings("staging", {"cluster": {"adminPrincipalArns": [arn]}})
    assert err.value.problems[0].startswith("mlplatform:cluster.adminPrincipalArns:")
    assert "Fix: remove it from the list" in err.value.problems[0]


def test_a_principal_gets_one_entry_only():
    with pytest.raises(SettingsError) as err:
        load_settings("dev", {"cluster": {"adminPrincipalArns": [ADMIN]},
                              "teams": [{"name": "a", "ownersGroup": "a", "roleArns": [ADMIN]}]})
    assert "mlplatform:teams[a].roleArns" in str(err.value)
