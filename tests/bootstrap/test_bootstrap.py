"""The account bootstrap (bootstrap/): OIDC trust, least privilege, state and secrets, on its offline plan."""

from __future__ import annotations

import copy
import json

import pytest

from bootstrap import plan as bplan
from bootstrap import policies
from domain.ci import role_name, secrets_key_alias
from domain.settings import SettingsError

REPO = "acme/mlplatform"
CONFIG = {"aws:region": "us-west-2", "mlplatform-bootstrap:repository": REPO}


@pytest.fixture(scope="module")
def plan() -> bplan.BootstrapPlan:
    return bplan.evaluate(CONFIG)


def statements(p: bplan.BootstrapPlan, role: str) -> list[dict]:
    return p.policy_of(role)["Statement"]


def test_the_plan_passes_every_check(plan):
    assert bplan.check(plan) == []


def test_shipped_stack_file_plans_and_only_warns_about_the_placeholder(capsys):
    assert bplan.main([]) == 0
    out = capsys.readouterr().out
    assert "WARNING: mlplatform-bootstrap:repository is the placeholder" in out and "FAIL" not in out


def test_github_oidc_provider(plan):
    (provider,) = plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_ci_roles_trust_only_this_repository_and_their_github_environment(plan, env):
    for purpose, github_env in (("deploy", env), ("preview", f"{env}-preview")):
        (st,) = plan.trust_of(role_name("mlplatform", env, purpose))["Statement"]
        assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert st["Condition"] == {"StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": f"repo:{REPO}:environment:{github_env}"}}


def test_break_glass_needs_mfa_and_only_repairs_access(plan):
    (st,) = plan.trust_of("mlplatform-prod-break-glass")["Statement"]
    assert st["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    actions = {a for s in statements(plan, "mlplatform-prod-break-glass") for a in bplan._as_list(s["Action"])}
    assert actions <= set(policies.BREAK_GLASS_ACTIONS) | {"eks:ListClusters"}
    assert "eks:CreateCluster" not in actions


def test_no_wildcard_action_and_changes_only_under_conditions(plan):
    for policy in plan.of_type(bplan.ROLE_POLICY):
        for st in json.loads(policy.inputs["policy"])["Statement"]:
            actions = bplan._as_list(st["Action"])
            assert "*" not in actions and not [a for a in actions if a.endswith(":*")], (policy.name, st)
            if "*" in bplan._as_list(st["Resource"]) and [a for a in actions if not bplan.is_read(a)]:
                assert "Condition" in st, (policy.name, st["Sid"])


def test_deploy_role_creates_and_changes_only_its_environment(plan):
    by_sid = {s["Sid"]: s for s in statements(plan, "mlplatform-staging-deploy")}
    assert by_sid["CreateTagged"]["Condition"] == {"StringEquals": {
        "aws:RequestTag/project": "mlplatform", "aws:RequestTag/environment": "staging"}}
    assert by_sid["ManageTagged"]["Condition"] == {"StringEquals": {"aws:ResourceTag/environment": "staging"}}
    assert by_sid["PassOwnRoles"]["Condition"]["StringEquals"]["iam:ResourceTag/environment"] == "staging"
    assert by_sid["OwnBuckets"]["Resource"] == ["arn:aws:s3:::mlplatform-staging-*"]
    assert all("/mlplatform/staging" in r for r in by_sid["OwnStateObjects"]["Resource"])


def test_platform_tags_are_what_the_deploy_role_requires():
    """The platform's provider default tags carry the keys the deploy role's conditions test."""
    from domain.settings import load_settings

    tags = load_settings("prod", {}).resource_tags
    assert tags["project"] == "mlplatform" and tags["environment"] == "prod"


def test_only_deploy_roles_create_clusters(plan):
    creators = [r.name for r in plan.of_type(bplan.ROLE_POLICY)
                if any("eks:CreateCluster" in bplan._as_list(s["Action"]) for s in json.loads(r.inputs["policy"])["Statement"])]
    assert sorted(creators) == ["mlplatform-dev-deploy", "mlplatform-prod-deploy", "mlplatform-staging-deploy"]


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_pull_request_preview_roles_cannot_decrypt_prod_secrets(plan, env):
    prod_key = plan.key_arn(secrets_key_alias("mlplatform", "prod"))
    text = json.dumps(plan.policy_of(role_name("mlplatform", env, "preview")))
    assert prod_key not in text
    assert "/mlplatform/prod" not in text  # nor read prod's state objects


def test_preview_roles_change_nothing_but_their_lock(plan):
    for st in statements(plan, "mlplatform-prod-preview"):
        changes = [a for a in bplan._as_list(st["Action"]) if not bplan.is_read(a) and a != "kms:Decrypt"]
        if changes:
            assert st["Sid"] == "OwnStateLocks" and st["Resource"].endswith("/.pulumi/locks/mlplatform/prod/*")


def test_state_bucket_is_protected_versioned_encrypted_private_and_tls_only(plan):
    (bucket,) = plan.of_type("aws:s3/bucket:Bucket")
    assert bucket.protect and bucket.retain_on_delete
    (enc,) = plan.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert enc.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert plan.of_type("aws:s3/bucketVersioning:BucketVersioning")[0].inputs["versioningConfiguration"] == {"status": "Enabled"}
    block = plan.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0].inputs
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    (policy,) = plan.of_type("aws:s3/bucketPolicy:BucketPolicy")
    assert json.loads(policy.inputs["policy"])["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_secrets_keys_per_environment_rotate_and_are_protected(plan):
    for env in ("dev", "staging", "prod"):
        key = next(k for k in plan.of_type("aws:kms/key:Key") if k.name == f"{env}-pulumi-secrets")
        assert key.inputs["enableKeyRotation"] is True and key.protect


def test_pulumi_cloud_backend_creates_no_bucket():
    p = bplan.evaluate({**CONFIG, "mlplatform-bootstrap:stateBackend": "pulumi-cloud"})
    assert p.of_type("aws:s3/bucket:Bucket") == []
    assert bplan.check(p) == []


def test_github_source_credential_from_secret_config(plan):
    (cred,) = plan.of_type("aws:codebuild/sourceCredential:SourceCredential")
    assert cred.inputs["serverType"] == "GITHUB" and cred.inputs["authType"] == "PERSONAL_ACCESS_TOKEN"


# The checks catch broken wiring ------------------------------------------------------------------------

def _with_policy(plan: bplan.BootstrapPlan, role: str, mutate) -> bplan.BootstrapPlan:
    broken = copy.deepcopy(plan)
    policy = next(r for r in broken.of_type(bplan.ROLE_POLICY) if r.name == role)
    doc = json.loads(policy.inputs["policy"])
    mutate(doc["Statement"])
    policy.inputs["policy"] = json.dumps(doc)
    return broken


def test_check_catches_a_star_statement(plan):
    broken = _with_policy(plan, "mlplatform-dev-deploy",
                          lambda sts: sts.append({"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}))
    assert any("wildcard action" in p for p in bplan.check(broken))


def test_check_catches_an_unconditioned_change_on_everything(plan):
    broken = _with_policy(plan, "mlplatform-dev-deploy", lambda sts: sts.append(
        {"Sid": "Loose", "Effect": "Allow", "Action": ["ec2:DeleteVpc"], "Resource": "*"}))
    assert any("without a tag condition" in p for p in bplan.check(broken))


def test_check_catches_a_preview_role_that_decrypts_prod(plan):
    prod_key = plan.key_arn(secrets_key_alias("mlplatform", "prod"))
    broken = _with_policy(plan, "mlplatform-dev-preview", lambda sts: sts.append(
        {"Sid": "Oops", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": prod_key}))
    assert any("mlplatform-dev-preview: may decrypt" in p for p in bplan.check(broken))


def test_check_catches_a_trust_for_any_pull_request(plan):
    broken = copy.deepcopy(plan)
    role = broken.role("mlplatform-prod-deploy")
    doc = json.loads(role.inputs["assumeRolePolicy"])
    doc["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] = f"repo:{REPO}:pull_request"
    role.inputs["assumeRolePolicy"] = json.dumps(doc)
    assert any("mlplatform-prod-deploy: trusts subject" in p for p in bplan.check(broken))


def test_bad_settings_name_the_key():
    with pytest.raises(SettingsError, match="mlplatform-bootstrap:repository"):
        bplan.evaluate({"mlplatform-bootstrap:repository": "not a repo"})
    with pytest.raises(SettingsError, match="mlplatform-bootstrap:environments"):
        bplan.evaluate({**CONFIG, "mlplatform-bootstrap:environments": '["dev", "dev"]'})
