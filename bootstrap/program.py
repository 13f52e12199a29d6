"""The account bootstrap program: GitHub OIDC, the CI roles per environment, state backend and secrets keys."""

from __future__ import annotations

import functools
from typing import Any

import pulumi
import pulumi_aws as aws

from bootstrap import policies
from bootstrap.settings import BootstrapSettings
from domain.ci import (
    GITHUB_OIDC_AUDIENCE,
    GITHUB_OIDC_HOST,
    deploy_environment,
    preview_environment,
    role_name,
    secrets_key_alias,
    secrets_provider,
)


def state_bucket_name(project: str, account_id: str, region: str) -> str:
    return f"{project}-pulumi-state-{account_id}-{region}"


def _key(name: str, description: str, account_id: pulumi.Output[str], alias: str, protect: bool = True) -> aws.kms.Key:
    key = aws.kms.Key(name, description=description, enable_key_rotation=True, deletion_window_in_days=30,
                      policy=account_id.apply(policies.key_policy),
                      opts=pulumi.ResourceOptions(protect=protect, retain_on_delete=True))
    aws.kms.Alias(name, name=alias, target_key_id=key.key_id)
    return key


def _scope(project: str, environment: str, values: list[str]) -> policies.Scope:
    return policies.Scope(project, environment, *values[:5])


def _github_trust(provider_arn: str, repository: str, environment: str) -> str:
    return policies.github_trust_policy(provider_arn, repository, environment)


def build(settings: BootstrapSettings) -> dict[str, Any]:
    project = settings.platform_project
    caller = aws.get_caller_identity_output()
    region = aws.get_region_output().region
    account_id = caller.account_id
    tags = {"project": project, "managed-by": "pulumi", "stack": pulumi.get_stack()}

    github = aws.iam.OpenIdConnectProvider(
        "github-actions", url=f"https://{GITHUB_OIDC_HOST}", client_id_lists=[GITHUB_OIDC_AUDIENCE], tags=tags)

    state_key = _key("pulumi-state", f"Pulumi state of {project} (bucket encryption)", account_id,
                     f"alias/{project}-pulumi-state")
    bucket_name = pulumi.Output.all(account_id, region).apply(lambda a: state_bucket_name(project, a[0], a[1]))
    outputs: dict[str, Any] = {"githubOidcProviderArn": github.arn, "roles": {}, "secretsProviders": {}}
    if settings.state_backend == "s3":
        protected = pulumi.ResourceOptions(protect=True, retain_on_delete=True)
        bucket = aws.s3.Bucket("pulumi-state", bucket=bucket_name, tags=tags, opts=protected)
        aws.s3.BucketVersioning("pulumi-state", bucket=bucket.id,
                                versioning_configuration={"status": "Enabled"}, opts=protected)
        aws.s3.BucketServerSideEncryptionConfiguration(
            "pulumi-state", bucket=bucket.id, rules=[{"apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms", "kms_master_key_id": state_key.arn}, "bucket_key_enabled": True}],
            opts=protected)
        aws.s3.BucketPublicAccessBlock("pulumi-state", bucket=bucket.id, block_public_acls=True,
                                       block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
        aws.s3.BucketOwnershipControls("pulumi-state", bucket=bucket.id,
                                       rule={"object_ownership": "BucketOwnerEnforced"})
        aws.s3.BucketPolicy("pulumi-state", bucket=bucket.id, policy=bucket.bucket.apply(policies.state_bucket_policy))
        outputs["stateBackend"] = pulumi.Output.concat("s3://", bucket.bucket)

    if settings.create_github_source_credential:
        token = pulumi.Config().require_secret("githubToken")
        aws.codebuild.SourceCredential("github", auth_type="PERSONAL_ACCESS_TOKEN", server_type="GITHUB",
                                       token=token)

    root: pulumi.Output[str] = account_id.apply(lambda a: f"arn:aws:iam::{a}:root")
    break_glass_principals: list[pulumi.Input[str]] = [*settings.break_glass_principals] or [root]
    for env in settings.environments:
        secrets_key = _key(f"{env}-pulumi-secrets", f"Pulumi secrets of {project} {env}", account_id,
                           secrets_key_alias(project, env))
        scope = pulumi.Output.all(account_id, region, bucket_name, state_key.arn, secrets_key.arn).apply(
            functools.partial(_scope, project, env))
        env_tags = {**tags, "environment": env}
        roles = {}
        for purpose, github_env, policy in (("deploy", deploy_environment(env), policies.deploy_policy),
                                            ("preview", preview_environment(env), policies.preview_policy)):
            name = role_name(project, env, purpose)
            role = aws.iam.Role(
                name, name=name, tags=env_tags, max_session_duration=3600 * (2 if purpose == "deploy" else 1),
                description=f"GitHub Actions {purpose} of {project} {env} (environment {github_env} of {settings.repository})",
                assume_role_policy=github.arn.apply(
                    functools.partial(_github_trust, repository=settings.repository, environment=github_env)))
            aws.iam.RolePolicy(name, role=role.id, policy=scope.apply(policy))
            roles[purpose] = role.arn
        name = role_name(project, env, "break-glass")
        role = aws.iam.Role(name, name=name, tags=env_tags, max_session_duration=3600,
                            description=f"Break-glass cluster access of {project} {env} (humans, MFA)",
                            assume_role_policy=pulumi.Output.all(*break_glass_principals).apply(
                                lambda p: policies.break_glass_trust_policy(list(p))))
        aws.iam.RolePolicy(name, role=role.id, policy=scope.apply(policies.break_glass_policy))
        roles["break-glass"] = role.arn
        outputs["roles"][env] = roles
        outputs["secretsProviders"][env] = region.apply(functools.partial(secrets_provider, project, env))
    return outputs
