"""How CI reaches AWS and the clusters: the names both projects (the platform and bootstrap/) derive from.

Declared once here, read by `bootstrap/` (which creates the IAM roles), by the platform (which gives them
access entries and builds the deploy runner) and by the workflows' context step (`stacks/ci_context.py`).

- Every environment has a deploy role (runs `pulumi up`, creates the cluster and is its admin through EKS's
  creator entry), a preview role (PR previews: read-only in AWS and a view-only access entry) and a
  break-glass role (humans, MFA, cluster admin when CI is broken).
- GitHub Actions assume them with OIDC; the token's subject names the GitHub environment of the job,
  `repo:<owner>/<repo>:environment:<name>` (GitHub docs, "OpenID Connect reference", filtering for a
  specific environment). Deploy jobs run in the environment named like the stack, previews in
  `<stack>-preview`.
- Jobs run on a CodeBuild-hosted GitHub Actions runner inside the stack's VPC. Its `runs-on` label is
  `codebuild-<project-name>-${{ github.run_id }}-${{ github.run_attempt }}` (AWS CodeBuild user guide,
  "Label overrides supported with the CodeBuild-hosted GitHub Actions runner").
"""

from __future__ import annotations

import ipaddress

# The GitHub OIDC issuer and the audience aws-actions/configure-aws-credentials asks for.
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
# The owner part of `ci.repository` in the shipped stack files: a placeholder a deploy refuses.
PLACEHOLDER_OWNER = "OWNER"

# RFC 5737 TEST-NET ranges: never anyone's egress, so an allowlist holding one admits nobody.
DOCUMENTATION_RANGES = tuple(ipaddress.IPv4Network(c) for c in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))

ROLE_PURPOSES = ("deploy", "preview", "break-glass")


def role_name(project: str, environment: str, purpose: str) -> str:
    """IAM role name of one CI/operator role of an environment: mlplatform-prod-deploy."""
    if purpose not in ROLE_PURPOSES:
        raise ValueError(f"unknown role purpose {purpose!r}; one of {ROLE_PURPOSES}")
    return f"{project}-{environment}-{purpose}"


def role_arn(account_id: str, name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:role/{name}"


def secrets_key_alias(project: str, environment: str) -> str:
    """KMS alias of an environment's Pulumi secrets key (created by bootstrap/)."""
    return f"alias/{project}-{environment}-pulumi-secrets"


def secrets_provider(project: str, environment: str, region: str) -> str:
    """The `--secrets-provider` of the environment's stacks."""
    return f"awskms://{secrets_key_alias(project, environment)}?region={region}"


def runner_project_name(cluster_name: str) -> str:
    """Name of the stack's CodeBuild project that hosts its GitHub Actions runners."""
    return f"{cluster_name}-deploy-runner"


def runner_label(project_name: str) -> str:
    """The `runs-on` label that routes a job to the CodeBuild project (one runner per job)."""
    return f"codebuild-{project_name}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"


def deploy_environment(stack: str) -> str:
    """GitHub environment of a stack's `pulumi up` jobs (prod's has required reviewers and main only)."""
    return stack


def preview_environment(stack: str) -> str:
    """GitHub environment of a stack's PR preview jobs (prod's has required reviewers)."""
    return f"{stack}-preview"


def github_subject(repository: str, environment: str) -> str:
    """The OIDC `sub` claim of a job of `repository` that runs in GitHub environment `environment`."""
    return f"repo:{repository}:environment:{environment}"


def documentation_cidrs(cidrs: list[str]) -> list[str]:
    """The CIDRs that lie inside an RFC 5737 documentation range."""
    nets = [(c, ipaddress.ip_network(c, strict=False)) for c in cidrs]
    return [c for c, n in nets
            if isinstance(n, ipaddress.IPv4Network) and any(n.subnet_of(d) for d in DOCUMENTATION_RANGES)]
