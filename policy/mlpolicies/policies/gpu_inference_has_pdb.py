"""gpu-inference-has-pdb: replicated GPU services are protected by a PodDisruptionBudget."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..autoscaling import Autoscaler, autoscalers, scaling
from ..framework import Stack, stack_policy
from ..scheduling import all_of, any_of, selector_matches, workload_uses_gpu
from ..settings import Settings
from ..values import UNKNOWN, dig
from ..workloads import Workload

NAME = "gpu-inference-has-pdb"
_REPLICATED_KINDS = ("Deployment", "StatefulSet")


def _same(a: Any, b: Any) -> bool | None:
    return None if UNKNOWN in (a, b) else a == b


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def desired_replicas(workload: Workload, scalers: list[Autoscaler]) -> Any:
    """The most replicas the workload runs: spec.replicas, or the maxReplicas / maxReplicaCount of any
    HorizontalPodAutoscaler or KEDA ScaledObject that targets it (autoscaled Deployments usually leave
    spec.replicas unset, and scale out exactly when a drain hurts most)."""
    counts = [workload.ctx.replicas]
    for scaler in scaling(workload, scalers):
        counts += [scaler.min_replicas, scaler.max_replicas]
    known = [c for c in counts if _is_number(c)]
    if any(c > 1 for c in known):
        return max(known)
    return UNKNOWN if len(known) < len(counts) else max(known, default=1)


def check(stack: Stack, settings: Settings) -> Iterator[tuple[str, str | None]]:
    pdbs = stack.of_kind("policy", "PodDisruptionBudget")
    scalers = autoscalers(stack)
    for resource, workload in stack.workloads():
        ctx = workload.ctx
        if ctx.kind not in _REPLICATED_KINDS or workload_uses_gpu(workload, settings) is not True:
            continue
        replicas = desired_replicas(workload, scalers)
        if replicas is UNKNOWN or replicas <= 1 or ctx.namespace is UNKNOWN:
            continue
        covered = any_of(
            all_of([_same(pdb.namespace, ctx.namespace),
                    selector_matches(dig(pdb.props, "spec", "selector"), ctx.labels)])
            for pdb in pdbs
        )
        if covered is False:
            labels = ctx.labels if isinstance(ctx.labels, dict) else {}
            yield (f"{ctx.describe(resource.name)}: {replicas:g} GPU replicas but no PodDisruptionBudget in "
                   f"namespace {ctx.namespace} selects its pods (labels {labels}), so a node drain or "
                   f"consolidation can take every replica down at once. Add a policy/v1 PodDisruptionBudget "
                   f"with spec.selector.matchLabels taken from the pod labels and maxUnavailable: 1.",
                   resource.urn)


POLICY = stack_policy(
    name=NAME,
    description="GPU Deployments and StatefulSets that run more than one replica (spec.replicas, or an HPA or KEDA "
                "ScaledObject that may scale them out) have a PodDisruptionBudget in their namespace whose selector "
                "matches their pod labels.",
    remediation="""
GPU nodes are drained for driver/AMI upgrades and consolidated by the autoscaler; without a
PodDisruptionBudget all replicas of a model server can be evicted together, and GPU pods take
minutes to come back (image pull, model load). Add, in the same namespace:

  apiVersion: policy/v1
  kind: PodDisruptionBudget
  metadata: {name: llm-server, namespace: ml-serving}
  spec:
    maxUnavailable: 1
    selector:
      matchLabels: {app: llm-server}   # a subset of the pod template's labels

Python (pulumi_kubernetes):
  k8s.policy.v1.PodDisruptionBudget("llm-server", metadata={"namespace": "ml-serving"},
      spec={"max_unavailable": 1, "selector": {"match_labels": {"app": "llm-server"}}})

Replicas count spec.replicas, or the maxReplicas of a HorizontalPodAutoscaler (maxReplicaCount of a
KEDA ScaledObject) targeting the workload.
""",
    check=check,
    options=("gpuResources",),
    tags=("gpu", "reliability"),
)
