"""container-resource-requests: every container declares CPU and memory requests."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from ..framework import workload_policy
from ..scheduling import container_label, iter_containers
from ..settings import Settings
from ..values import UNKNOWN, as_dict
from ..workloads import Workload

NAME = "container-resource-requests"
_REQUIRED = ("cpu", "memory")


def check(workload: Workload, settings: Settings) -> Iterator[str]:
    for field, container in iter_containers(workload.pod):
        resources = as_dict(container.get("resources"))
        if resources is UNKNOWN:
            continue
        requests, limits = as_dict(resources.get("requests")), as_dict(resources.get("limits"))
        if UNKNOWN in (requests, limits):
            continue
        # Kubernetes defaults a missing request to the limit, so a limit alone also reserves capacity.
        missing = [r for r in _REQUIRED if requests.get(r) in (None, "") and limits.get(r) in (None, "")]
        if missing:
            yield (f"{container_label(field, container)} has no {' or '.join(missing)} request, so the "
                   f"scheduler and the autoscaler cannot size nodes for it. Add resources.requests: "
                   f'{{"cpu": "500m", "memory": "1Gi"}} (sized from observed usage).')


POLICY = workload_policy(
    name=NAME,
    description="Every container and init container requests CPU and memory (a limit alone counts, since "
                "Kubernetes copies it into the request).",
    remediation="""
Requests are what the scheduler packs and what the cluster autoscaler sizes node groups from; a
container without them is "free" to the scheduler and gets evicted first under pressure. Set them
from observed usage:

YAML:
  resources:
    requests: {cpu: 500m, memory: 1Gi}
    limits: {memory: 1Gi}

Python (pulumi_kubernetes):
  resources={"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}
""",
    check=check,
    severity=Severity.MEDIUM,
    tags=("hygiene", "scheduling"),
)
