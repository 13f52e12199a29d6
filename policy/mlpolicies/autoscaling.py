"""Autoscalers in a stack and the workloads they scale: HorizontalPodAutoscalers and KEDA ScaledObjects.

KEDA turns a ScaledObject into an HPA at apply time, so the pack sees only the ScaledObject: its
`scaleTargetRef` (kind defaults to Deployment), `minReplicaCount` (default 0) and `maxReplicaCount`
(default 100, KEDA's documented defaults).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .framework import Stack, StackResource
from .scheduling import all_of
from .values import UNKNOWN, dig
from .workloads import Workload

KEDA_DEFAULT_MIN, KEDA_DEFAULT_MAX = 0, 100


@dataclass(frozen=True)
class Autoscaler:
    resource: StackResource
    min_replicas: Any  # a number or UNKNOWN
    max_replicas: Any

    def describe(self) -> str:
        name = dig(self.resource.props, "metadata", "name")
        name = name if isinstance(name, str) else self.resource.name
        namespace = self.resource.namespace if isinstance(self.resource.namespace, str) else "<unknown namespace>"
        return f"{self.resource.kind[1] if self.resource.kind else 'autoscaler'} {namespace}/{name}"


def _same(a: Any, b: Any) -> bool | None:
    return None if UNKNOWN in (a, b) else a == b


def _count(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if value is UNKNOWN or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return UNKNOWN  # malformed: neither a violation nor a number to compare


def autoscalers(stack: Stack) -> list[Autoscaler]:
    found = []
    for hpa in stack.of_kind("autoscaling", "HorizontalPodAutoscaler"):
        spec = dig(hpa.props, "spec")
        found.append(Autoscaler(hpa, _count(dig(spec, "minReplicas"), 1), _count(dig(spec, "maxReplicas"), UNKNOWN)))
    for scaled in stack.of_kind("keda.sh", "ScaledObject"):
        spec = dig(scaled.props, "spec")
        found.append(Autoscaler(scaled, _count(dig(spec, "minReplicaCount"), KEDA_DEFAULT_MIN),
                                _count(dig(spec, "maxReplicaCount"), KEDA_DEFAULT_MAX)))
    return found


def scaling(workload: Workload, scalers: list[Autoscaler]) -> Iterator[Autoscaler]:
    """The autoscalers whose scaleTargetRef is this workload (definitely)."""
    ctx = workload.ctx
    for scaler in scalers:
        target = dig(scaler.resource.props, "spec", "scaleTargetRef")
        kind = dig(target, "kind")
        if kind is None and scaler.resource.kind == ("keda.sh", "ScaledObject"):
            kind = "Deployment"
        if all_of([_same(kind, ctx.kind), _same(dig(target, "name"), ctx.name),
                   _same(scaler.resource.namespace, ctx.namespace)]) is True:
            yield scaler
