"""The real policy pack applied to a planned stack, with that stack's --policy-pack-config."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policy.mlpolicies.policies import ALL
from policy.mlpolicies.runner import Violation, load_stack_config, run_pack
from stacks.offline import PlannedResource


@dataclass(frozen=True)
class Verdicts:
    config_name: str
    policies: list[str]
    violations: list[Violation]
    # GPU workloads the config lets through unread (gpu-workloads-readable), each with its reason.
    exemptions: list[dict[str, str]] = field(default_factory=list)

    @property
    def mandatory_failures(self) -> list[Violation]:
        return [v for v in self.violations if v.blocking]

    def counts(self) -> dict[str, int]:
        found = Counter(v.policy_name for v in self.violations)
        return {name: found.get(name, 0) for name in self.policies}

    def as_dict(self) -> dict[str, Any]:
        return {
            "config": self.config_name,
            "counts": self.counts(),
            "mandatoryFailures": len(self.mandatory_failures),
            "exemptions": self.exemptions,
            "violations": [{"policy": v.policy_name, "enforcement": v.enforcement, "resource": v.resource_name,
                            "type": v.resource_type, "message": v.message} for v in self.violations],
        }


def policy_resources(resources: list[PlannedResource]) -> list[dict[str, Any]]:
    """Planned resources as the engine hands them to a policy pack (components are not analysed)."""
    return [{"type": r.type, "name": r.name, "urn": r.urn, "props": r.inputs} for r in resources if r.is_resource]


def stack_verdicts(stack: str, environment: str, resources: list[PlannedResource]) -> Verdicts:
    """Apply the pack with policy/config/<stack>.json, or the environment's file for other stacks."""
    try:
        config, name = load_stack_config(stack), f"policy/config/{stack}.json"
    except (FileNotFoundError, ValueError):
        config, name = load_stack_config(environment), f"policy/config/{environment}.json"
    return Verdicts(name, [p.name for p in ALL], run_pack(policy_resources(resources), config), exemptions(config))


def exemptions(config: dict[str, Any]) -> list[dict[str, str]]:
    """The config's exemptions from gpu-workloads-readable (a reviewer accepted each, with a reason)."""
    entry = config.get("gpu-workloads-readable")
    listed = entry.get("exemptions") if isinstance(entry, dict) else None
    return [dict(e) for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []


def describe_exemption(exemption: dict[str, str]) -> str:
    what = " ".join(f"{k} {exemption[k]}" for k in ("kind", "chart", "namespace", "name") if exemption.get(k))
    return f"{what or 'everything'}: {exemption.get('reason', '(no reason)')}"


def _entry(value: Any) -> dict[str, Any]:
    return {"enforcementLevel": value} if isinstance(value, str) else dict(value)


def project_verdicts(project_dir: Path, environment: str, resources: list[PlannedResource]) -> Verdicts:
    """A team project's verdicts: its environment's config, with the project's policy-config.json over it
    (what the project declares about resources that live in the platform stack: quotas, PriorityClasses).
    A project's entry for a policy adds to the environment's (the platform view there stays)."""
    config = load_stack_config(environment)
    overrides = project_dir / "policy-config.json"
    name = f"policy/config/{environment}.json"
    if overrides.exists():
        for policy, entry in json.loads(overrides.read_text()).items():
            config[policy] = entry if policy == "all" else {**_entry(config.get(policy, {})), **_entry(entry)}
        name += f" + {project_dir.name}/policy-config.json"
    return Verdicts(name, [p.name for p in ALL], run_pack(policy_resources(resources), config), exemptions(config))
