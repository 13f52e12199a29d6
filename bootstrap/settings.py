"""Settings of the account bootstrap (config namespace `mlplatform-bootstrap:`), validated before any resource."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from domain.ci import PLACEHOLDER_OWNER
from domain.settings.base import Settings, SettingsError
from domain.settings.cluster import check_principal_arns

PROJECT = "mlplatform-bootstrap"
Environment = Literal["dev", "staging", "prod"]


def _all_environments() -> list[Environment]:
    return ["dev", "staging", "prod"]
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")


class BootstrapSettings(Settings):
    platform_project: str = Field(default="mlplatform", description=(
        "Pulumi project name of the platform whose CI roles, state and keys this account gets."))
    repository: str = Field(default=f"{PLACEHOLDER_OWNER}/mlplatform", description=(
        "GitHub <owner>/<repo> whose workflows may assume the CI roles (the OIDC subject). The shipped "
        "placeholder is flagged by the plan and refused by `pulumi up` (bootstrap/__main__.py)."))
    environments: list[Environment] = Field(default_factory=_all_environments,
                                           description="Environments that get CI roles and a secrets key.")
    state_backend: Literal["s3", "pulumi-cloud"] = Field(default="s3", description=(
        "'s3': create a state bucket (versioned, SSE-KMS, TLS only, protected) for `pulumi login s3://...`; "
        "'pulumi-cloud': state lives in Pulumi Cloud, only the per-environment secrets keys are created."))
    break_glass_principals: list[str] = Field(default_factory=list, description=(
        "IAM roles or users allowed to assume the break-glass roles (with MFA). Empty: the account root, i.e. "
        "any principal of the account whose own IAM policy allows sts:AssumeRole on it."))
    create_github_source_credential: bool = Field(default=True, description=(
        "Create the account-level CodeBuild source credential from the secret config `githubToken`, so that "
        "the platform's CodeBuild runners can create their webhooks and register with GitHub."))

    @field_validator("repository")
    @classmethod
    def _valid_repository(cls, value: str) -> str:
        if not _REPOSITORY.match(value):
            raise ValueError(f"'{value}' is not a GitHub repository. Fix: use <owner>/<name>.")
        return value

    @field_validator("break_glass_principals")
    @classmethod
    def _valid_principals(cls, value: list[str]) -> list[str]:
        return check_principal_arns(value)

    @field_validator("environments")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if not value or len(set(value)) != len(value):
            raise ValueError("list each environment once. Fix: e.g. [dev, staging, prod].")
        return value

    @property
    def repository_is_placeholder(self) -> bool:
        return self.repository.split("/", 1)[0] == PLACEHOLDER_OWNER


def load_bootstrap_settings(config: dict) -> BootstrapSettings:
    """Config keys without the namespace (camelCase) -> settings, or SettingsError naming each key."""
    try:
        return BootstrapSettings.model_validate(config)
    except ValidationError as err:
        raise SettingsError([f"{PROJECT}:{'.'.join(str(p) for p in e['loc'])}: "
                             f"{e['msg'].removeprefix('Value error, ')}" for e in err.errors(include_url=False)]) from None
