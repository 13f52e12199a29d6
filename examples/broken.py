"""Deliberately broken twins of the examples: each must be rejected by the policy pack.

Every twin changes one thing in a good example and names the policy (policy/mlpolicies/policies/) that
must report it, and what would go wrong in the cluster if it were deployed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from examples import inference, preprocessing, training
from examples.conventions import (
    GPU_RESOURCE,
    GPU_TOLERATION,
    INFERENCE_HIGH,
    RESEARCH_NAMESPACE,
    SERVING_NAMESPACE,
    SPOT_POOL,
    SPOT_TOLERATION,
    on_pool,
)
from examples.manifests import Manifest


@dataclass(frozen=True)
class BrokenExample:
    name: str
    policies: tuple[str, ...]  # policies that must report it
    why: str  # what would happen if it were deployed
    build: Callable[[], list[Manifest]]


def _deployment(manifests: list[Manifest]) -> Manifest:
    return next(m for m in manifests if m.kind in ("Deployment", "Job"))


def gpu_request_without_limit() -> list[Manifest]:
    ms = inference.manifests("broken-gpu-request-without-limit")
    resources = _deployment(ms).container["resources"]
    resources["requests"][GPU_RESOURCE] = resources["limits"].pop(GPU_RESOURCE)
    return ms


def fractional_gpu() -> list[Manifest]:
    ms = inference.manifests("broken-fractional-gpu")
    _deployment(ms).container["resources"]["limits"][GPU_RESOURCE] = "0.5"
    return ms


def gpu_without_toleration() -> list[Manifest]:
    ms = inference.manifests("broken-gpu-without-toleration")
    del _deployment(ms).pod_spec["tolerations"]
    return ms


def gpu_without_pool_selector() -> list[Manifest]:
    ms = inference.manifests("broken-gpu-without-pool-selector")
    del _deployment(ms).pod_spec["nodeSelector"]
    return ms


def gpu_inference_without_pdb() -> list[Manifest]:
    return [m for m in inference.manifests("broken-gpu-inference-without-pdb") if m.kind != "PodDisruptionBudget"]


def gpu_namespace_without_quota() -> list[Manifest]:
    return inference.manifests("broken-gpu-namespace-without-quota", "sandbox")


def cpu_service_tolerating_gpu() -> list[Manifest]:
    ms = preprocessing.manifests("broken-cpu-service-tolerating-gpu")
    _deployment(ms).pod_spec["tolerations"] = [GPU_TOLERATION]
    return ms


def catch_all_toleration() -> list[Manifest]:
    ms = preprocessing.manifests("broken-catch-all-toleration")
    _deployment(ms).pod_spec["tolerations"] = [{"operator": "Exists"}]
    return ms


def service_on_spot() -> list[Manifest]:
    ms = preprocessing.manifests("broken-service-on-spot")
    pod = _deployment(ms).pod_spec
    pod["nodeSelector"] = on_pool(SPOT_POOL)
    pod["tolerations"] = [SPOT_TOLERATION]
    return ms


def gpu_training_without_priority() -> list[Manifest]:
    ms = training.manifests("broken-gpu-training-without-priority", gpus=1)
    del _deployment(ms).pod_spec["priorityClassName"]
    return ms


def gpu_training_that_preempts() -> list[Manifest]:
    ms = training.manifests("broken-gpu-training-that-preempts", SERVING_NAMESPACE, gpus=1)
    _deployment(ms).pod_spec["priorityClassName"] = INFERENCE_HIGH
    return ms


def latest_image() -> list[Manifest]:
    ms = preprocessing.manifests("broken-latest-image")
    container = _deployment(ms).container
    container["image"] = container["image"].rsplit(":", 1)[0] + ":latest"
    return ms


def no_resource_requests() -> list[Manifest]:
    ms = training.manifests("broken-no-resource-requests", RESEARCH_NAMESPACE)
    del _deployment(ms).container["resources"]
    return ms


BROKEN: dict[str, BrokenExample] = {b.name: b for b in (
    BrokenExample("gpu-request-without-limit", ("gpu-limits-required",),
                  "the API server rejects an extended resource requested without a limit", gpu_request_without_limit),
    BrokenExample("fractional-gpu", ("gpu-limits-required",),
                  "GPUs are whole devices; 0.5 is rejected (use time-slicing or MIG to share)", fractional_gpu),
    BrokenExample("gpu-without-toleration", ("gpu-toleration-required",),
                  "GPU nodes are tainted: the pod stays Pending and the autoscaler cannot help", gpu_without_toleration),
    BrokenExample("gpu-without-pool-selector", ("gpu-node-selector-advised",),
                  "any GPU pool may be scaled up for it, often the most expensive one", gpu_without_pool_selector),
    BrokenExample("gpu-inference-without-pdb", ("gpu-inference-has-pdb",),
                  "a drain or scale-down can evict every replica of the model server at once",
                  gpu_inference_without_pdb),
    BrokenExample("gpu-namespace-without-quota", ("gpu-namespace-has-quota",),
                  "a namespace without a GPU quota can take every GPU of the cluster", gpu_namespace_without_quota),
    BrokenExample("cpu-service-tolerating-gpu", ("no-gpu-toleration-without-gpu",),
                  "a CPU pod can land on a GPU node, waste it and keep it from scaling down",
                  cpu_service_tolerating_gpu),
    BrokenExample("catch-all-toleration", ("no-gpu-toleration-without-gpu", "spot-for-interruptible-only"),
                  "{operator: Exists} tolerates every taint: GPU nodes and spot nodes alike", catch_all_toleration),
    BrokenExample("service-on-spot", ("spot-for-interruptible-only",),
                  "a serving Deployment on spot loses replicas at two minutes' notice", service_on_spot),
    BrokenExample("gpu-training-without-priority", ("training-does-not-preempt",),
                  "without a class, training runs at the default priority instead of training-low",
                  gpu_training_without_priority),
    BrokenExample("gpu-training-that-preempts", ("training-does-not-preempt",),
                  "training in the preempting inference-high class evicts running model servers",
                  gpu_training_that_preempts),
    BrokenExample("latest-image", ("no-latest-images",),
                  ":latest makes rollouts irreproducible and rollbacks impossible", latest_image),
    BrokenExample("no-resource-requests", ("container-resource-requests",),
                  "without requests the scheduler and the autoscaler cannot size nodes for the pod",
                  no_resource_requests),
)}


def broken_manifests() -> list[Manifest]:
    return [m for example in BROKEN.values() for m in example.build()]

