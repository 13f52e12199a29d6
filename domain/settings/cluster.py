"""EKS control plane settings."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..ci import PLACEHOLDER_OWNER, documentation_cidrs
from ..versions import EKS_ADDONS, KUBERNETES_VERSION, kubernetes_release
from .base import Settings, check_cidrs, check_pattern

REQUIRED_LOG_TYPES = ("api", "audit", "authenticator")
ALL_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_CLUSTER_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,99}$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
# CodeBuild compute types of the EC2 compute mode (AWS CodeBuild user guide, "Build environment compute types").
CODEBUILD_COMPUTE_TYPES = ("BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE",
                           "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE")


def check_principal_arns(value: list[str]) -> list[str]:
    for arn in value:
        if not _PRINCIPAL_ARN.match(arn):
            raise ValueError(
                f"'{arn}' is not an IAM role or user ARN. Fix: use arn:aws:iam::<account-id>:role/<name> "
                "(SSO roles included)."
            )
    return value


class ClusterSettings(Settings):
    name: str = Field(default="", description="EKS cluster name; empty gives mlplatform-<stack>.")
    version: str = Field(default=KUBERNETES_VERSION, description="Kubernetes minor version; add-on and autoscaler pins follow it (domain/versions.py).")
    endpoint_public_access: bool = Field(default=False, description="Public API endpoint (needs publicAccessCidrs); private by default.")
    public_access_cidrs: list[str] = Field(default_factory=list, description="CIDRs allowed to reach a public API endpoint; 0.0.0.0/0 is rejected in prod.")
    admin_principal_arns: list[str] = Field(default_factory=list, description=(
        "IAM roles or users of the platform's human administrators: each gets an access entry with "
        "AmazonEKSClusterAdminPolicy. The CI deploy, preview and break-glass roles get theirs without being listed."))
    log_types: list[str] = Field(default_factory=lambda: list(REQUIRED_LOG_TYPES), description="Control-plane logs; api, audit and authenticator are mandatory.")
    log_retention_days: int = Field(default=90, ge=1, description="Retention of the control-plane logs in CloudWatch.")
    addon_versions: dict[str, str] = Field(
        default_factory=dict,
        description="EKS add-on versions by add-on name. Unset add-ons take the pins of `cluster.version` in "
                    "domain/versions.py (KUBERNETES_RELEASES); a version without pins must list every add-on here.")
    upgrade_policy: Literal["STANDARD", "EXTENDED"] = Field(
        default="STANDARD",
        description="EKS support policy once the Kubernetes version leaves standard support: STANDARD upgrades the "
                    "control plane automatically at the end of standard support; EXTENDED keeps the version up to "
                    "12 more months at an extra hourly charge (EKS's own default when unset).")
    deletion_protection: bool = Field(default=False, description="EKS deletion protection of the cluster.")
    volume_reclaim_policy: str = Field(default="Delete", description="Reclaim policy of the default gp3 StorageClass: Retain keeps volumes after their PVC is deleted.")

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if value and not _CLUSTER_NAME.match(value):
            raise ValueError(
                f"'{value}' is not a valid EKS cluster name. Fix: start with a letter and use only letters, "
                "digits and hyphens (at most 100 characters)."
            )
        return value

    @field_validator("version")
    @classmethod
    def _valid_version(cls, value: str) -> str:
        if not re.fullmatch(r"1\.\d{2}", value):
            raise ValueError(f"'{value}' is not a Kubernetes minor version. Fix: use a value like '{KUBERNETES_VERSION}'.")
        return value

    @field_validator("public_access_cidrs")
    @classmethod
    def _valid_cidrs(cls, value: list[str]) -> list[str]:
        check_cidrs(value, "your office or VPN egress, e.g. 52.94.76.0/24")
        docs = documentation_cidrs(value)
        if docs:
            raise ValueError(
                f"{docs} lie in an RFC 5737 documentation range (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) "
                "that no real client is in, so nobody could reach the API. Fix: list your office or VPN egress "
                "CIDRs, or set endpointPublicAccess to false and reach the API from inside the VPC."
            )
        return value

    @field_validator("admin_principal_arns")
    @classmethod
    def _valid_principals(cls, value: list[str]) -> list[str]:
        return check_principal_arns(value)

    @field_validator("log_types")
    @classmethod
    def _valid_logs(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in ALL_LOG_TYPES]
        if unknown:
            raise ValueError(f"unknown log types {unknown}. Fix: choose from {list(ALL_LOG_TYPES)}.")
        missing = [t for t in REQUIRED_LOG_TYPES if t not in value]
        if missing:
            raise ValueError(f"{missing} must stay enabled for audit. Fix: add them back to logTypes.")
        return value

    @field_validator("addon_versions")
    @classmethod
    def _known_addons(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(EKS_ADDONS))
        if unknown:
            raise ValueError(f"unknown add-ons {unknown}. Fix: only override {sorted(EKS_ADDONS)}.")
        return value

    @model_validator(mode="before")
    @classmethod
    def _pins_of_version(cls, data: Any) -> Any:
        """Fill unset add-on versions from the pins of the configured Kubernetes version."""
        if not isinstance(data, dict):
            return data
        release = kubernetes_release(str(data.get("version", KUBERNETES_VERSION)))
        key = "addon_versions" if "addon_versions" in data else "addonVersions"
        overrides = data.get(key) or {}
        if release is None or not isinstance(overrides, dict):
            return data
        return {**data, key: {**release.addons, **overrides}}

    @model_validator(mode="after")
    def _addons_match_version(self) -> ClusterSettings:
        """A version bump moves its pins with it: every add-on pinned, kube-proxy of the same minor."""
        problems = []
        missing = sorted(set(EKS_ADDONS) - set(self.addon_versions))
        if missing:
            problems.append(
                f"cluster.version {self.version} has no add-on pins in domain/versions.py, and cluster.addonVersions "
                f"lacks {[f'cluster.addonVersions.{a}' for a in missing]}. Fix: add a '{self.version}' entry to "
                "KUBERNETES_RELEASES in domain/versions.py (versions from `aws eks describe-addon-versions "
                f"--kubernetes-version {self.version}`), or set those keys.")
        proxy = self.addon_versions.get("kube-proxy", "")
        proxy_minor = ".".join(proxy.lstrip("v").split(".")[:2])
        if proxy and proxy_minor != self.version:
            problems.append(
                f"cluster.addonVersions.kube-proxy {proxy} is built for Kubernetes {proxy_minor}, but cluster.version "
                f"is {self.version}. Fix: set cluster.addonVersions.kube-proxy to a v{self.version}.x-eksbuild.N "
                "version (or remove the override to take the pin of domain/versions.py).")
        if problems:
            raise ValueError(" ".join(problems))
        return self

    @field_validator("volume_reclaim_policy")
    @classmethod
    def _valid_reclaim(cls, value: str) -> str:
        if value not in ("Delete", "Retain"):
            raise ValueError(f"'{value}' is not a reclaim policy. Fix: use 'Retain' or 'Delete'.")
        return value

    @model_validator(mode="after")
    def _public_endpoint_needs_allowlist(self) -> ClusterSettings:
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise ValueError(
                "endpointPublicAccess is on with an empty publicAccessCidrs, which EKS reads as 0.0.0.0/0. "
                "Fix: list the CIDRs allowed to reach the API, or turn endpointPublicAccess off."
            )
        return self

    def open_to_world(self) -> bool:
        return self.endpoint_public_access and any(
            ipaddress.ip_network(c).prefixlen == 0 for c in self.public_access_cidrs
        )


class CiSettings(Settings):
    """Where CI runs the stack's `pulumi preview` and `pulumi up` (see domain/ci.py and README "CI/CD")."""

    runner: Literal["codebuild", "external"] = Field(default="codebuild", description=(
        "'codebuild': the stack builds a CodeBuild-hosted GitHub Actions runner in its private subnets, so CI "
        "reaches a private API endpoint. 'external': CI runs outside the VPC (GitHub-hosted runners), which "
        "needs cluster.endpointPublicAccess with the runners' egress in publicAccessCidrs."))
    repository: str = Field(default=f"{PLACEHOLDER_OWNER}/mlplatform", description=(
        "The GitHub repository (owner/name) whose workflows deploy this stack: the runner's webhook source and "
        "the subject the CI roles trust. The default is a placeholder: the offline plan flags it and a deploy "
        "(scripts/first-deploy.sh, the workflows' context step) refuses it."))
    compute_type: str = Field(default="BUILD_GENERAL1_MEDIUM", description=(
        "CodeBuild compute type of the runner (BUILD_GENERAL1_SMALL ... BUILD_GENERAL1_2XLARGE)."))
    image: str = Field(default="aws/codebuild/amazonlinux-x86_64-standard:5.0", description=(
        "CodeBuild image of the runner (Amazon Linux 2023 standard image 5.0 by default)."))
    build_timeout_minutes: int = Field(default=120, ge=5, le=2160, description=(
        "Longest a CI job may run on the runner before CodeBuild stops it (a prod `pulumi up` can take an hour)."))
    log_retention_days: int = Field(default=90, ge=1, description="Retention of the runner's CloudWatch build logs.")

    @field_validator("repository")
    @classmethod
    def _valid_repository(cls, value: str) -> str:
        return check_pattern(value, _REPOSITORY, "a GitHub repository", "use <owner>/<name>, e.g. acme/mlplatform.")

    @field_validator("compute_type")
    @classmethod
    def _valid_compute(cls, value: str) -> str:
        if value not in CODEBUILD_COMPUTE_TYPES:
            raise ValueError(f"'{value}' is not a CodeBuild compute type. Fix: use one of {list(CODEBUILD_COMPUTE_TYPES)}.")
        return value

    @model_validator(mode="after")
    def _codebuild_needs_repository(self) -> CiSettings:
        if self.runner == "codebuild" and not self.repository:
            raise ValueError("runner 'codebuild' needs the repository whose workflows it runs. "
                             "Fix: set ci.repository to <owner>/<name>.")
        return self

    @property
    def repository_is_placeholder(self) -> bool:
        return self.repository.split("/", 1)[0] == PLACEHOLDER_OWNER
