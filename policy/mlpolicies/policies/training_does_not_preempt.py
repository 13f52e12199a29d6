"""training-does-not-preempt: GPU batch work runs in a PriorityClass that never preempts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..framework import Stack, stack_policy
from ..scheduling import workload_uses_gpu
from ..settings import Settings
from ..values import UNKNOWN, dig

NAME = "training-does-not-preempt"


def _priority_classes(stack: Stack) -> tuple[dict[str, Any], bool]:
    """metadata.name -> preemptionPolicy of the stack's PriorityClasses, and whether every name is known."""
    classes: dict[str, Any] = {}
    all_known = True
    for resource in stack.of_kind("scheduling.k8s.io", "PriorityClass"):
        name = dig(resource.props, "metadata", "name")
        if isinstance(name, str):
            classes[name] = dig(resource.props, "preemptionPolicy")
        else:
            all_known = False
    return classes, all_known


def check(stack: Stack, settings: Settings) -> Iterator[tuple[str, str | None]]:
    classes, all_known = _priority_classes(stack)
    for resource, workload in stack.workloads():
        ctx = workload.ctx
        if not ctx.batch or workload_uses_gpu(workload, settings) is not True:
            continue
        class_name = ctx.priority_class_name
        where = ctx.describe(resource.name)
        if class_name is UNKNOWN or class_name in settings.external_never_preempt_classes:
            continue
        if not class_name:
            yield (f"{where}: a GPU batch workload without priorityClassName runs at the default priority and "
                   f"may preempt serving pods. Set priorityClassName to a PriorityClass with "
                   f"preemptionPolicy: Never (for example training-low).", resource.urn)
        elif class_name in classes:
            policy = classes[class_name]
            if policy is not UNKNOWN and (policy or "PreemptLowerPriority") != "Never":
                yield (f'{where}: PriorityClass "{class_name}" has preemptionPolicy '
                       f'{policy or "PreemptLowerPriority (the default)"}, so this GPU batch workload can evict '
                       f'running pods. Use a class with preemptionPolicy: Never.', resource.urn)
        elif all_known:
            yield (f'{where}: priorityClassName "{class_name}" matches no PriorityClass in this stack, so its '
                   f'preemption policy cannot be verified (and the pods are rejected if it does not exist). '
                   f'Create it with preemptionPolicy: Never, or list it in externalNeverPreemptClasses if '
                   f'another stack manages it.', resource.urn)


POLICY = stack_policy(
    name=NAME,
    description="Batch workloads that use GPUs set priorityClassName to a PriorityClass with "
                "preemptionPolicy: Never, so training never evicts inference.",
    remediation="""
Training and other batch GPU work must queue for capacity rather than evict running (serving)
pods. Define a non-preempting class once:

  apiVersion: scheduling.k8s.io/v1
  kind: PriorityClass
  metadata: {name: training-low}
  value: 1000
  preemptionPolicy: Never
  description: Batch GPU work; waits for capacity instead of preempting.

and reference it from every pod template of the job:

  spec.template.spec.priorityClassName: training-low
  (CronJob: spec.jobTemplate.spec.template.spec; PyTorchJob/TFJob: each *ReplicaSpecs.<role>.template.spec;
   RayJob: spec.rayClusterSpec head and worker group templates)

Python (pulumi_kubernetes):
  k8s.scheduling.v1.PriorityClass("training-low", metadata={"name": "training-low"}, value=1000,
                                  preemption_policy="Never")

A class managed by another stack can be declared in the config option externalNeverPreemptClasses.
""",
    check=check,
    options=("gpuResources", "externalNeverPreemptClasses"),
    tags=("gpu", "scheduling", "reliability"),
)
