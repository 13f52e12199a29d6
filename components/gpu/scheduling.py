"""Cluster-wide PriorityClasses: who may preempt whom.

| class            | value   | preemption            | for                                                       |
| ---------------- | ------- | --------------------- | --------------------------------------------------------- |
| `inference-high` | 100000  | PreemptLowerPriority  | online model serving: evicts batch/training to get a GPU  |
| `batch-default`  | 1000    | Never (globalDefault) | everything that names no class: waits for the autoscaler  |
| `training-low`   | 100     | Never                 | training and other long GPU jobs: queue, never evict      |

Only serving preempts. `batch-default` is the global default so that a pod without a class (a chart
that sets none, a notebook) neither preempts anybody nor sits below training: it is scheduled before
training when both wait, and it waits for the autoscaler instead of evicting. Training is the lowest
class, so when serving needs a GPU and the pool is at maxSize, a training pod is what gets preempted;
jobs checkpoint for that (as they do for spot interruptions). Team namespaces that may not serve are
barred from `inference-high` by a zero-pod quota (components/gpu/teams.py). All values are far above
Cluster Autoscaler's `expendable-pods-priority-cutoff` (-10), so every class triggers scale-ups, and far
below the system classes (2e9), so node agents and CoreDNS always win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

INFERENCE_HIGH = "inference-high"
BATCH_DEFAULT = "batch-default"
TRAINING_LOW = "training-low"


@dataclass(frozen=True)
class PriorityClassSpec:
    name: str
    value: int
    preemption_policy: str  # PreemptLowerPriority | Never
    global_default: bool
    description: str

    def args(self) -> dict[str, Any]:
        """Keyword arguments of k8s.scheduling.v1.PriorityClass."""
        return {
            "metadata": {"name": self.name, "labels": {"app.kubernetes.io/managed-by": "pulumi",
                                                       "app.kubernetes.io/part-of": "mlplatform"}},
            "value": self.value,
            "preemption_policy": self.preemption_policy,
            "global_default": self.global_default,
            "description": self.description,
        }


PRIORITY_CLASSES: tuple[PriorityClassSpec, ...] = (
    PriorityClassSpec(INFERENCE_HIGH, 100_000, "PreemptLowerPriority", False,
                      "Online model serving. Preempts batch and training pods to get capacity."),
    PriorityClassSpec(BATCH_DEFAULT, 1_000, "Never", True,
                      "Default for pods without a priority class. Waits for capacity; never preempts."),
    PriorityClassSpec(TRAINING_LOW, 100, "Never", False,
                      "Training and long GPU jobs. Waits for capacity, never preempts; first to be preempted "
                      "by serving, so checkpoint regularly."),
)


def priority_class_specs() -> dict[str, PriorityClassSpec]:
    return {spec.name: spec for spec in PRIORITY_CLASSES}


class SchedulingPolicy(pulumi.ComponentResource):
    """The PriorityClasses above. Exposes `classes`: name -> k8s PriorityClass."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:gpu:SchedulingPolicy", name, None, opts)
        self.classes: dict[str, k8s.scheduling.v1.PriorityClass] = {
            spec.name: k8s.scheduling.v1.PriorityClass(f"{name}-{spec.name}", **spec.args(),
                                                       opts=pulumi.ResourceOptions(parent=self))
            for spec in PRIORITY_CLASSES
        }
        self.register_outputs({"classes": list(self.classes)})
