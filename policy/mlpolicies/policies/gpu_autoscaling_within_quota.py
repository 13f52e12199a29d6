"""gpu-autoscaling-within-quota: an autoscaler never promises more GPUs than its namespace may use.

A KEDA ScaledObject (or an HPA) whose target asks for GPUs, or a KEDA ScaledJob, can ask for
max replicas x GPUs per pod. When that exceeds the namespace's GPU ResourceQuota, the extra pods
are rejected by the quota at the busiest moment, while the autoscaler keeps reporting demand; the
maximum should be what the team's budget can actually run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..autoscaling import KEDA_DEFAULT_MAX, autoscalers, scaling
from ..framework import Stack, stack_policy
from ..scheduling import iter_containers
from ..settings import Settings
from ..values import UNKNOWN, as_dict, dig, positive_int
from ..workloads import Workload

NAME = "gpu-autoscaling-within-quota"


def gpus_per_pod(workload: Workload, settings: Settings) -> dict[str, int]:
    """GPU resource -> count one pod of the workload holds (containers run together; init containers one at a time)."""
    key = ("gpus per pod", settings.gpu_resources)
    if key not in workload.memo:
        workload.memo[key] = _gpus_per_pod(workload, settings)
    result: dict[str, int] = workload.memo[key]
    return result


def _gpus_per_pod(workload: Workload, settings: Settings) -> dict[str, int]:
    running: dict[str, int] = {}
    init: dict[str, int] = {}
    for field, container in iter_containers(workload.pod):
        limits = as_dict(dig(container, "resources", "limits"))
        requests = as_dict(dig(container, "resources", "requests"))
        limits, requests = ({} if limits is UNKNOWN else limits), ({} if requests is UNKNOWN else requests)
        for name in {*limits, *requests}:
            count = positive_int(limits[name] if name in limits else requests[name])  # the limit wins
            if not settings.is_gpu_resource(name) or not isinstance(count, int):
                continue
            if field == "initContainers":
                init[name] = max(init.get(name, 0), count)
            else:
                running[name] = running.get(name, 0) + count
    return {name: max(running.get(name, 0), init.get(name, 0)) for name in {*running, *init}}


def quota_caps(stack: Stack, namespace: str) -> dict[str, int]:
    """requests.<resource> -> the smallest hard cap any ResourceQuota of the namespace sets."""
    caps: dict[str, int] = {}
    for quota in stack.of_kind("core", "ResourceQuota"):
        if quota.namespace != namespace:
            continue
        hard = as_dict(dig(quota.props, "spec", "hard"))
        for key, value in ({} if hard is UNKNOWN else hard).items():
            count = positive_int(value) if value not in (0, "0") else 0
            if isinstance(key, str) and key.startswith("requests.") and isinstance(count, int):
                caps[key[len("requests."):]] = min(caps.get(key[len("requests."):], count), count)
    return caps


def _over(demand: dict[str, int], replicas: Any, caps: dict[str, int]) -> list[tuple[str, int, int, int]]:
    if not isinstance(replicas, (int, float)) or isinstance(replicas, bool):
        return []
    return [(name, per_pod, int(replicas) * per_pod, caps[name]) for name, per_pod in sorted(demand.items())
            if name in caps and int(replicas) * per_pod > caps[name]]


def _message(who: str, what: str, replicas: Any, over: list[tuple[str, int, int, int]], namespace: str,
             field: str) -> str:
    parts = "; ".join(f"{int(replicas)} x {per_pod} {name} = {total}, but the quota caps requests.{name} at {cap}"
                      for name, per_pod, total, cap in over)
    fits = min(cap // per_pod for _, per_pod, _, cap in over)
    return (f"{who} may scale {what} to {int(replicas)} replicas ({parts} in namespace {namespace}), so pods past the "
            f"quota are rejected at peak load. Set {field} to at most {fits}, or raise the team's GPU quota.")


def check(stack: Stack, settings: Settings) -> Iterator[tuple[str, str | None]]:
    scalers = autoscalers(stack)
    caps_by_namespace: dict[str, dict[str, int]] = {}
    for resource, workload in stack.workloads():
        namespace = workload.ctx.namespace
        if not isinstance(namespace, str):
            continue
        demand = gpus_per_pod(workload, settings)
        if not demand:
            continue
        if namespace not in caps_by_namespace:
            caps_by_namespace[namespace] = quota_caps(stack, namespace)
        caps = caps_by_namespace[namespace]
        target = workload.ctx.describe(resource.name)
        if resource.kind == ("keda.sh", "ScaledJob"):
            maximum = dig(resource.props, "spec", "maxReplicaCount")
            maximum = KEDA_DEFAULT_MAX if maximum is None else maximum
            over = _over(demand, maximum, caps)
            if over:
                yield _message(target, "its jobs", maximum, over, namespace, "spec.maxReplicaCount"), resource.urn
            continue
        for scaler in scaling(workload, scalers):
            over = _over(demand, scaler.max_replicas, caps)
            if over:
                field = "spec.maxReplicas" if scaler.resource.kind == ("autoscaling", "HorizontalPodAutoscaler") \
                    else "spec.maxReplicaCount (KEDA's default is 100)"
                yield _message(scaler.describe(), target, scaler.max_replicas, over, namespace, field), scaler.resource.urn


POLICY = stack_policy(
    name=NAME,
    description="Autoscalers of GPU workloads (KEDA ScaledObjects and ScaledJobs, HPAs) cannot scale past the "
                "namespace's GPU quota: max replicas x GPUs per pod <= requests.<gpu resource> of its ResourceQuota.",
    remediation="""
An autoscaler that may ask for more GPUs than the team's ResourceQuota allows gets pods rejected by
the quota exactly at peak load, while it keeps scaling for demand it cannot serve. Cap it at what
the budget runs: maxReplicaCount <= quota / GPUs per pod.

  apiVersion: keda.sh/v1alpha1
  kind: ScaledObject
  spec:
    scaleTargetRef: {name: batch-infer}     # a Deployment whose pods take 1 nvidia.com/gpu each
    minReplicaCount: 0
    maxReplicaCount: 4                      # KEDA's default is 100; requests.nvidia.com/gpu is "4"

The same holds for a KEDA ScaledJob's maxReplicaCount and an HPA's maxReplicas. Namespaces without a
GPU quota in the stack are not checked here (gpu-namespace-has-quota asks for one).
""",
    check=check,
    options=("gpuResources",),
    tags=("gpu", "cost", "multi-tenancy", "autoscaling"),
)
