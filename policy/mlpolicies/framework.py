"""Builders that turn small check functions into CrossGuard policies.

A check never sees the engine's proxies or config plumbing; the builders
  * materialize the properties (unknowns become `UNKNOWN`, see values.py),
  * resolve the policy's config into `Settings` (defaults for unset options),
  * walk workloads once per resource (see workloads.py), and
  * prefix each message with the object it is about ("Deployment ml/llm [predictor]: ...").

Three shapes:
  * `workload_policy`: check(workload, settings) -> messages, for every pod spec of every kind;
  * `resource_policy`: per resource type token, check(props, settings) -> messages;
  * `stack_policy`: check(stack, settings) -> (message, urn) pairs, for cross-resource rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .settings import Settings, config_schema, resolve
from .values import Props, materialize
from .workloads import Workload, default_namespace, kind_of, may_have_workloads, namespace_of, workloads

WorkloadCheck = Callable[[Workload, Settings], Iterable[str]]
ResourceCheck = Callable[[Props, Settings], Iterable[str]]


class ScopedResourcePolicy(ResourceValidationPolicy):
    """A ResourceValidationPolicy that knows from a type token alone whether it has anything to check.

    The engine calls every policy for every resource regardless; the runner uses `applies_to` to
    skip calls that would return at once, which is most of them in a large stack.
    """

    def __init__(self, name: str, description: str, *, applies_to: Callable[[str], bool], **kwargs: Any) -> None:
        super().__init__(name, description, **kwargs)
        self.applies_to = applies_to


def _metadata(remediation: str, options: Sequence[str],
              enforcement: EnforcementLevel, severity: Severity, tags: Sequence[str]) -> dict[str, Any]:
    return {
        "enforcement_level": enforcement,
        "config_schema": config_schema(*options),
        "remediation_steps": remediation.strip(),
        "severity": severity,
        "tags": list(tags),
    }


def workload_policy(*, name: str, description: str, remediation: str, check: WorkloadCheck,
                    options: Sequence[str] = (), enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
                    severity: Severity = Severity.HIGH, tags: Sequence[str] = ()) -> ScopedResourcePolicy:
    """A policy over every pod spec of every workload kind the walker knows."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not may_have_workloads(args.resource_type):
            return
        props = materialize(args.props)
        found = workloads(args.resource_type, props, default_namespace(args.provider))
        if not found:
            return
        settings = resolve(args.get_config())
        for workload in found:
            for message in check(workload, settings):
                report(f"{workload.ctx.describe(args.name)}: {message}", None)

    return ScopedResourcePolicy(name, description, applies_to=may_have_workloads, validate=validate,
                                **_metadata(remediation, options, enforcement, severity, tags))


def resource_policy(*, name: str, description: str, remediation: str,
                    checks: Mapping[str, ResourceCheck] | Callable[[str], ResourceCheck | None],
                    options: Sequence[str] = (), enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
                    severity: Severity = Severity.HIGH, tags: Sequence[str] = ()) -> ScopedResourcePolicy:
    """A policy over resources of the type tokens in `checks` (or for which `checks(type)` gives a
    check), each with its own check."""
    lookup = checks.get if isinstance(checks, Mapping) else checks

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        check = lookup(args.resource_type)
        if check is None:
            return
        props = materialize(args.props)
        for message in check(props, resolve(args.get_config())):
            report(f"{args.resource_type} {args.name}: {message}", None)

    return ScopedResourcePolicy(name, description, validate=validate,
                                applies_to=lambda resource_type: lookup(resource_type) is not None,
                                **_metadata(remediation, options, enforcement, severity, tags))


@dataclass
class StackResource:
    """One resource of the stack, materialized, with its workloads walked on first use."""

    type: str
    name: str
    urn: str
    props: Props
    namespace_default: Any = "default"
    _kind: tuple[str, str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._kind = kind_of(self.type, self.props)

    @property
    def kind(self) -> tuple[str, str] | None:
        return self._kind

    @property
    def namespace(self) -> Any:
        return namespace_of(self.props, self.namespace_default)

    @property
    def workloads(self) -> tuple[Workload, ...]:
        return workloads(self.type, self.props, self.namespace_default)


class Stack:
    """The stack's resources, indexed by Kubernetes (group, kind)."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = [
            StackResource(r.resource_type, r.name, r.urn, materialize(r.props), default_namespace(r.provider))
            for r in resources
        ]
        self._by_kind: dict[tuple[str, str], list[StackResource]] = {}
        for resource in self.resources:
            if resource.kind is not None:
                self._by_kind.setdefault(resource.kind, []).append(resource)

    def of_kind(self, group: str, kind: str) -> list[StackResource]:
        return self._by_kind.get((group, kind), [])

    def workloads(self) -> Iterator[tuple[StackResource, Workload]]:
        for resource in self.resources:
            for workload in resource.workloads:
                yield resource, workload


StackCheck = Callable[[Stack, Settings], Iterable[tuple[str, "str | None"]]]


def stack_policy(*, name: str, description: str, remediation: str, check: StackCheck,
                 options: Sequence[str] = (), enforcement: EnforcementLevel = EnforcementLevel.MANDATORY,
                 severity: Severity = Severity.HIGH, tags: Sequence[str] = ()) -> StackValidationPolicy:
    """A policy over the whole stack; `check` yields (message, urn of the offending resource)."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        stack = Stack(args.resources)
        for message, urn in check(stack, resolve(args.get_config())):
            report(message, urn)

    return StackValidationPolicy(
        name, description, validate=validate, **_metadata(remediation, options, enforcement, severity, tags))
