"""Who may use a cluster's Kubernetes API: its EKS access entries, as data (pure, tested without Pulumi).

pulumi-eks creates every cluster with `bootstrapClusterCreatorAdminPermissions: true` (hard-coded in
nodejs/eks/cluster/cluster.ts), so the identity that creates the cluster gets a cluster-admin access
entry that lives outside Pulumi state, and an explicit entry for that same identity fails as a duplicate
(pulumi-eks#2373). Clusters are therefore created only by the environment's CI deploy role, which is
admin through that creator entry and is never listed here; every other principal is.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.ci import role_arn
from domain.settings import PlatformSettings

POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/"
CLUSTER_ADMIN_POLICY = POLICY_ARN + "AmazonEKSClusterAdminPolicy"
# Read most objects cluster-wide, but not Secrets (so not Helm's release records either).
VIEW_POLICY = POLICY_ARN + "AmazonEKSViewPolicy"


@dataclass(frozen=True)
class AccessGrant:
    """One access entry: a principal, an optional cluster-scoped access policy, Kubernetes groups."""

    key: str  # stable entry name (the Pulumi resource name suffix)
    principal: str  # an ARN, or a role name of this account (resolved with the account id)
    purpose: str
    policy_arn: str | None = None
    groups: tuple[str, ...] = ()

    def principal_arn(self, account_id: str) -> str:
        return self.principal if self.principal.startswith("arn:") else role_arn(account_id, self.principal)


def _key(prefix: str, arn: str) -> str:
    return f"{prefix}-{arn.rsplit('/', 1)[-1].lower()}"[:50]


def access_grants(settings: PlatformSettings) -> list[AccessGrant]:
    """Every explicit access entry of the stack's cluster, in a stable order."""
    grants = [
        AccessGrant("ci-preview", settings.ci_role_name("preview"), "PR previews (view, no Secrets)", VIEW_POLICY),
        AccessGrant("break-glass", settings.ci_role_name("break-glass"), "break-glass admin (humans, MFA)",
                    CLUSTER_ADMIN_POLICY),
    ]
    grants += [AccessGrant(_key("admin", arn), arn, "human admin", CLUSTER_ADMIN_POLICY)
               for arn in settings.cluster.admin_principal_arns]
    grants += [AccessGrant(_key(f"team-{team.name}", arn), arn, f"team {team.name}", groups=(team.owners_group,))
               for team in settings.teams for arn in team.role_arns]
    return grants


def creator_grant(settings: PlatformSettings) -> AccessGrant:
    """The entry EKS makes for the creator: the CI deploy role, cluster admin (never created by us)."""
    return AccessGrant("cluster-creator", settings.ci_role_name("deploy"), "CI deploy (EKS creator entry)",
                       CLUSTER_ADMIN_POLICY)


def access_table(settings: PlatformSettings) -> list[list[str]]:
    """Rows for the plan: entry, principal, access, purpose (the creator entry first)."""
    rows = []
    for g in [creator_grant(settings), *access_grants(settings)]:
        access = g.policy_arn.rsplit("/", 1)[-1] if g.policy_arn else "groups " + ",".join(g.groups)
        rows.append([g.key, g.principal, access, g.purpose])
    return rows
