"""The plan's "CI and cluster access" section: who deploys from where, and every access entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from components.cluster_access import access_table
from domain.ci import runner_label, runner_project_name
from stacks.phase_one import phase_one, talks_to_kubernetes

TITLE = "CI and cluster access"


def ci_access_warnings(settings: Any) -> list[str]:
    """What keeps a stack from its first real deploy, or leaves RBAC without members."""
    warnings = []
    if settings.ci.runner == "codebuild" and settings.ci.repository_is_placeholder:
        warnings.append(f"mlplatform:ci.repository is the placeholder '{settings.ci.repository}'. Fix: set it to "
                        "your GitHub <owner>/<repo> before the first deploy (scripts/first-deploy.sh refuses it).")
    warnings += [f"mlplatform:teams[{t.name}].roleArns is empty: the RoleBinding of group '{t.owners_group}' has no "
                 "IAM members. Fix: list the team's IAM roles (or map the group through OIDC)."
                 for t in settings.teams if not t.role_arns]
    return warnings


def ci_access_section(ev: Any, table: Callable[[list[str], list[list[str]]], str]) -> str:
    """The section's text ("" for a program without the platform's cluster, e.g. examples/); `table` is the
    plan's table renderer (stacks.plan.table)."""
    if not any(r.type == "mlplatform:cluster:EksCluster" for r in ev.resources):
        return ""
    s = ev.settings
    cs = s.cluster
    lines = []
    if s.ci.runner == "codebuild":
        project = runner_project_name(s.cluster_name)
        lines.append(f"CI runner: CodeBuild project {project} in the private subnets, for {s.ci.repository}; "
                     f"runs-on: {runner_label(project)}")
    else:
        lines.append("CI runner: outside the VPC (ci.runner external), through the public endpoint")
    lines.append("API endpoint: " + (f"private and public for {', '.join(cs.public_access_cidrs)} (humans only)"
                                     if cs.endpoint_public_access else "private only"))
    first = [r for r in phase_one(ev) if r.is_resource]
    lines.append(f"First deploy, phase 1 from outside the VPC (python -m stacks.phase_one): {len(first)} resources "
                 f"(network, cluster, CI runner), {sum(talks_to_kubernetes(r) for r in first)} call the Kubernetes API")
    lines.append(table(["access entry", "principal", "access", "purpose"], access_table(s)))
    lines += [f"WARNING: {w}" for w in ci_access_warnings(s)]
    return "\n".join(lines)
