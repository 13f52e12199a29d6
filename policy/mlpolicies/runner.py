"""Run the pack without the Pulumi engine: over planned resources, in tests, and in benchmarks.

`run_pack` evaluates the same `Policy` objects the CLI loads, with the same argument types
(`ResourceValidationArgs`, `StackValidationArgs`, `PolicyResource`) and the engine's rules for
enforcement levels: a policy's own entry in the config wins over `all`, which wins over the
policy's default; `disabled` skips the policy; `remediate` reports as `mandatory`. Config files are
the same JSON files `pulumi preview --policy-pack-config` reads (see policy/config/).

A resource is a mapping:
    {"type": "kubernetes:apps/v1:Deployment",      # Pulumi type token
     "name": "llm-server",                          # Pulumi resource name
     "props": {...},                                # camelCase properties, as the engine passes them
     "urn": "urn:pulumi:...",                       # optional; derived from type and name if absent
     "provider": {"type": "pulumi:providers:kubernetes", "name": "k8s", "props": {"namespace": "ml"}}}  # optional
Unknown (preview) values may be given as `policy.mlpolicies.UNKNOWN` or as the engine's sentinel strings.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError

from .pack import DEFAULT_ENFORCEMENT
from .policies import ALL
from .values import materialize

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
_OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


@dataclass(frozen=True, slots=True)
class Violation:
    policy_name: str
    enforcement: str  # "mandatory" (blocks the update) or "advisory"
    resource_name: str | None  # None when a stack policy reports against the stack as a whole
    message: str
    resource_type: str | None = None
    urn: str | None = None

    @property
    def blocking(self) -> bool:
        return self.enforcement == EnforcementLevel.MANDATORY.value

    def __str__(self) -> str:
        return f"[{self.enforcement}] {self.policy_name}: {self.message}"


@dataclass(frozen=True, slots=True)
class _Resource:
    type: str
    name: str
    urn: str
    props: Any
    provider: PolicyProviderResource | None


def load_stack_config(stack: str) -> dict[str, Any]:
    """The policy config of a stack (policy/config/<stack>.json), as passed to --policy-pack-config."""
    path = CONFIG_DIR / f"{stack}.json"
    if not path.is_file():
        known = sorted(p.stem for p in CONFIG_DIR.glob("*.json"))
        raise FileNotFoundError(f"no policy config for stack {stack!r} at {path}; known stacks: {known}")
    return json.loads(path.read_text(encoding="utf-8"))


def _level(value: Any, where: str) -> EnforcementLevel:
    if isinstance(value, EnforcementLevel):
        return value
    try:
        return EnforcementLevel(value)
    except ValueError:
        choices = [level.value for level in EnforcementLevel]
        raise ValueError(f"{where}: enforcement level {value!r} is not one of {choices}") from None


def _split(entry: Any, where: str) -> tuple[EnforcementLevel | None, dict[str, Any]]:
    """A config entry is a level, or {"enforcementLevel": level?, <option>: value, ...}."""
    if isinstance(entry, (str, EnforcementLevel)):
        return _level(entry, where), {}
    if isinstance(entry, Mapping):
        options = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        level = entry.get("enforcementLevel")
        return (None if level is None else _level(level, where)), options
    raise ValueError(f"{where}: expected an enforcement level or an object, got {entry!r}")


def _with_defaults(policy: Policy, options: Mapping[str, Any]) -> dict[str, Any]:
    """The config the CLI would send: schema defaults overlaid with the configured options."""
    schema = policy.config_schema.properties if policy.config_schema else {}
    config = {k: v["default"] for k, v in schema.items() if "default" in v}
    config.update(options)
    return config


def resolve_config(policies: Sequence[Policy], config: Mapping[str, Any] | None,
                   ) -> list[tuple[Policy, EnforcementLevel, dict[str, Any]]]:
    """(policy, effective enforcement, policy config) for every enabled policy in `policies`.
    `config` may name any policy of the pack (a stack's config file applies to a subset too)."""
    config = config or {}
    names = {p.name for p in ALL} | {p.name for p in policies}
    stray = sorted(set(config) - names - {"all"})
    if stray:
        raise ValueError(f"policy config names unknown policies {stray}; known: {sorted(names)}")
    pack_level = _split(config["all"], "all")[0] if "all" in config else None
    enabled = []
    for policy in policies:
        level, options = _split(config.get(policy.name, {}), policy.name)
        level = level or pack_level or policy.enforcement_level or DEFAULT_ENFORCEMENT
        if level == EnforcementLevel.DISABLED:
            continue
        if level == EnforcementLevel.REMEDIATE:
            level = EnforcementLevel.MANDATORY  # the engine reports a remaining violation as mandatory
        enabled.append((policy, level, _with_defaults(policy, options)))
    return enabled


def _prepare(resources: Iterable[Mapping[str, Any]]) -> list[_Resource]:
    prepared = []
    for index, resource in enumerate(resources):
        try:
            type_, name = resource["type"], resource["name"]
        except KeyError as missing:
            raise ValueError(f"resource #{index} has no {missing.args[0]!r}: {dict(resource)!r:.200}") from None
        provider = resource.get("provider")
        if provider is not None:
            provider = PolicyProviderResource(
                provider.get("type", "pulumi:providers:kubernetes"), provider.get("props") or {},
                provider.get("urn", ""), provider.get("name", "default"))
        urn = resource.get("urn") or f"urn:pulumi:offline::ml-platform::{type_}::{name}"
        prepared.append(_Resource(type_, name, urn, materialize(resource.get("props")), provider))
    return prepared


async def _wait(awaitable: Any) -> None:
    await awaitable


def _await(result: Any) -> None:
    if result is not None and isawaitable(result):
        asyncio.run(_wait(result))  # our policies are synchronous; this keeps third-party async ones working


def _applies(policy: Policy, resource_type: str) -> bool:
    applies_to = getattr(policy, "applies_to", None)
    return applies_to is None or bool(applies_to(resource_type))


def run_pack(resources: Iterable[Mapping[str, Any]], config: Mapping[str, Any] | None = None, *,
             policies: Sequence[Policy] | None = None) -> list[Violation]:
    """Evaluate the pack (or `policies`) over `resources` with a --policy-pack-config style `config`.

    Resource policies run over each resource, then stack policies over all of them. Violations come
    back in that order, each with its policy's effective enforcement level.
    """
    enabled = resolve_config(list(ALL if policies is None else policies), config)
    prepared = _prepare(resources)
    by_urn = {r.urn: r for r in prepared}
    violations: list[Violation] = []
    reported: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append((message, urn))

    def run(policy: Policy, level: EnforcementLevel, args: Any, resource: _Resource | None) -> None:
        note = None
        try:
            if isinstance(policy, (ResourceValidationPolicy, StackValidationPolicy)):
                _await(policy.validate(args, report))
        except UnknownValueError as error:  # the engine turns these into an advisory note
            note = f"can't run policy {policy.name!r} during preview: {error.message}"
        except _NotApplicableError:
            pass
        findings = [(message, level, urn) for message, urn in reported]
        if note:
            findings.append((note, EnforcementLevel.ADVISORY, None))
        reported.clear()
        for message, found_level, urn in findings:
            # A resource policy's findings are about its resource; a stack policy names one by URN.
            target = resource or by_urn.get(urn or "")
            violations.append(Violation(policy.name, found_level.value, target.name if target else None, message,
                                        target.type if target else None, target.urn if target else urn))

    resource_policies = [e for e in enabled if isinstance(e[0], ResourceValidationPolicy)]
    by_type: dict[str, list[tuple[Policy, EnforcementLevel, dict[str, Any]]]] = {}
    for resource in prepared:
        applicable = by_type.get(resource.type)
        if applicable is None:  # skip policies that tell from the type alone that they have nothing to check
            applicable = by_type[resource.type] = [
                e for e in resource_policies if _applies(e[0], resource.type)]
        for policy, level, policy_config in applicable:
            args = ResourceValidationArgs(resource.type, resource.props, resource.urn, resource.name, _OPTIONS,
                                          resource.provider, policy_config)
            run(policy, level, args, resource)

    stack_policies = [e for e in enabled if isinstance(e[0], StackValidationPolicy)]
    if stack_policies:
        stack = [PolicyResource(r.type, r.props, r.urn, r.name, _OPTIONS, r.provider, None, [], {}) for r in prepared]
        for policy, level, policy_config in stack_policies:
            run(policy, level, StackValidationArgs(stack, policy_config), None)
    return violations
