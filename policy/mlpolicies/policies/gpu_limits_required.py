"""gpu-limits-required: GPU counts are whole, positive, and set as limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..framework import workload_policy
from ..scheduling import container_gpu_resources, container_label, iter_containers, workload_gpus
from ..settings import Settings
from ..values import UNKNOWN, as_dict, positive_int
from ..workloads import Workload

NAME = "gpu-limits-required"


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def check(workload: Workload, settings: Settings) -> Iterator[str]:
    if not workload_gpus(workload, settings):  # UNKNOWN is truthy: then look at each known container
        return
    for field, container in iter_containers(workload.pod):
        gpus, _ = container_gpu_resources(container, settings)
        if not gpus:
            continue
        label = container_label(field, container)
        resources = as_dict(container.get("resources"))
        requests, limits = as_dict(resources.get("requests")), as_dict(resources.get("limits"))
        for resource in sorted(gpus):
            request = UNKNOWN if requests is UNKNOWN else requests.get(resource)
            limit = UNKNOWN if limits is UNKNOWN else limits.get(resource)
            if limit is None:
                count = positive_int(request)
                suggestion = count if isinstance(count, int) else 1
                yield (f'{label} requests {resource} without a limit. GPUs cannot be overcommitted: add '
                       f'resources.limits["{resource}"]: "{suggestion}".')
                continue
            limit_count = positive_int(limit)
            if limit_count is None:
                yield (f'{label} sets limits["{resource}"] to {_show(limit)}; a GPU count must be a whole '
                       f'number of at least 1, such as "1".')
            if request is None:
                continue
            request_count = positive_int(request)
            if request_count is None:
                yield (f'{label} sets requests["{resource}"] to {_show(request)}; a GPU count must be a '
                       f'whole number of at least 1. Remove the request (the limit implies it) or make it '
                       f'equal to the limit.')
            elif isinstance(limit_count, int) and isinstance(request_count, int) and request_count != limit_count:
                yield (f'{label} requests {request_count} {resource} but limits it to {limit_count}; extended '
                       f'resources need request == limit. Remove the request or set it to {limit_count}.')


POLICY = workload_policy(
    name=NAME,
    description="Containers that use GPUs (nvidia.com/gpu, nvidia.com/mig-*) set a whole, positive GPU "
                "count in resources.limits, with any request equal to the limit.",
    remediation="""
Put the GPU count in the container's resources.limits; Kubernetes copies it into requests. If you also
set requests, use the same number. The count is a whole number of at least 1 (fractions, 0 and
negative values are rejected by the API server or silently give no GPU).

YAML:
  resources:
    limits:
      nvidia.com/gpu: "1"

Python (pulumi_kubernetes):
  resources=k8s.core.v1.ResourceRequirementsArgs(limits={"nvidia.com/gpu": "1"})

MIG slices work the same way, for example limits: {"nvidia.com/mig-1g.10gb": "1"}.
""",
    check=check,
    options=("gpuResources",),
    tags=("gpu", "scheduling"),
)
