"""What a settings change does to a stack: the resources it adds, removes, updates and replaces.

Two offline plans of the same stack (before and after the change) are compared resource by resource
(by URN) on their inputs. A change to a create-only property replaces the resource; the create-only
properties below are the EKS API's (AWS::EKS::Nodegroup `createOnlyProperties` of the CloudFormation
resource schema, the fields UpdateNodegroupConfig/UpdateNodegroupVersion cannot change), spelled as
pulumi-eks takes them. Stateful resources are flagged on any change: a Kubernetes version bump must
leave them untouched. `python -m stacks.plan --stack prod --upgrade-to 1.35` prints this review.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup"
# Inputs whose change replaces the resource.
REPLACED_ON: dict[str, frozenset[str]] = {
    MANAGED_NODE_GROUP: frozenset({"capacityType", "nodeGroupName", "nodeGroupNamePrefix", "remoteAccess",
                                   "nodeRoleArn", "instanceTypes", "diskSize", "amiType", "subnetIds",
                                   "clusterName"}),
}
# Resources that hold data: databases, buckets, keys, backup vaults.
STATEFUL_TYPES = frozenset({
    "aws:rds/instance:Instance", "aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:backup/vault:Vault",
    "aws:cloudwatch/logGroup:LogGroup",
})


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    keys: tuple[str, ...]  # top-level inputs that differ
    replaced: bool
    stateful: bool


@dataclass
class PlanDiff:
    added: list[Any] = field(default_factory=list)
    removed: list[Any] = field(default_factory=list)
    changed: list[ResourceChange] = field(default_factory=list)

    @property
    def replaced(self) -> list[ResourceChange]:
        return [c for c in self.changed if c.replaced]

    @property
    def stateful_changes(self) -> list[ResourceChange]:
        return [c for c in self.changed if c.stateful]

    def of_type(self, typ: str) -> list[ResourceChange]:
        return [c for c in self.changed if c.type == typ]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def diff_plans(before: list[Any], after: list[Any]) -> PlanDiff:
    """Compare two offline plans (lists of PlannedResource) of one stack."""
    old = {r.urn: r for r in before if r.is_resource}
    new = {r.urn: r for r in after if r.is_resource}
    diff = PlanDiff(added=[new[u] for u in sorted(set(new) - set(old))],
                    removed=[old[u] for u in sorted(set(old) - set(new))])
    for urn in sorted(set(old) & set(new)):
        a, b = old[urn].masked_inputs, new[urn].masked_inputs
        keys = tuple(sorted(k for k in set(a) | set(b) if _canonical(a.get(k)) != _canonical(b.get(k))))
        if keys:
            r = new[urn]
            diff.changed.append(ResourceChange(urn, r.type, r.name, keys,
                                               replaced=bool(set(keys) & REPLACED_ON.get(r.type, frozenset())),
                                               stateful=r.type in STATEFUL_TYPES or r.protect))
    return diff


def roll_order(resources: list[Any], changed: list[ResourceChange]) -> list[list[str]]:
    """Waves of the changed node groups: a group rolls after every changed group it depends on."""
    groups = {c.urn for c in changed if c.type == MANAGED_NODE_GROUP}
    by_urn = {r.urn: r for r in resources}
    deps = {u: by_urn[u].all_dependencies & groups for u in groups}
    waves: list[list[str]] = []
    done: set[str] = set()
    while len(done) < len(groups):
        wave = sorted(u for u in groups - done if deps[u] <= done)
        if not wave:  # a cycle cannot happen in a Pulumi graph; stop rather than loop
            break
        waves.append([by_urn[u].name for u in wave])
        done |= set(wave)
    return waves


def render_diff(diff: PlanDiff, waves: list[list[str]], title: str) -> str:
    lines = [f"{title}: {len(diff.changed)} resources updated ({len(diff.replaced)} replaced), "
             f"{len(diff.added)} added, {len(diff.removed)} removed; stateful resources changed: "
             f"{len(diff.stateful_changes)}"]
    for c in diff.changed:
        verb = "REPLACE" if c.replaced else "update"
        flag = " [STATEFUL]" if c.stateful else ""
        lines.append(f"  {verb:7} {c.type} {c.name}{flag}: {', '.join(c.keys)}")
    lines += [f"  add     {r.type} {r.name}" for r in diff.added]
    lines += [f"  remove  {r.type} {r.name}" for r in diff.removed]
    if waves:
        lines.append("Node groups roll in this order (each wave after the previous one):")
        lines += [f"  {i}. {', '.join(w)}" for i, w in enumerate(waves, 1)]
    return "\n".join(lines)
