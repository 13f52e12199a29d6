"""gpu-namespace-has-quota: every namespace that runs GPU work has a GPU ResourceQuota."""

from __future__ import annotations

from collections.abc import Iterator

from ..framework import Stack, StackResource, stack_policy
from ..scheduling import all_of, any_of, workload_gpus
from ..settings import Settings
from ..values import UNKNOWN, as_dict, dig

NAME = "gpu-namespace-has-quota"


def _caps(quota: StackResource, namespace: str, key: str) -> bool | None:
    hard = as_dict(dig(quota.props, "spec", "hard"))
    in_namespace = None if quota.namespace is UNKNOWN else quota.namespace == namespace
    return all_of([in_namespace, None if hard is UNKNOWN else key in hard])


def check(stack: Stack, settings: Settings) -> Iterator[tuple[str, str | None]]:
    # namespace -> GPU resources used there, and the first workload using them (to attach the violation)
    usage: dict[str, tuple[set[str], StackResource]] = {}
    for resource, workload in stack.workloads():
        gpus = workload_gpus(workload, settings)
        namespace = workload.ctx.namespace
        if gpus is UNKNOWN or not gpus or not isinstance(namespace, str):
            continue
        usage.setdefault(namespace, (set(), resource))[0].update(gpus)

    quotas = stack.of_kind("core", "ResourceQuota")
    namespaces = {name: ns for ns in stack.of_kind("core", "Namespace")
                  if isinstance(name := dig(ns.props, "metadata", "name"), str)}
    for namespace, (gpus, first_user) in sorted(usage.items()):
        missing = [f"requests.{gpu}" for gpu in sorted(gpus)
                   if any_of(_caps(q, namespace, f"requests.{gpu}") for q in quotas) is False]
        if not missing:
            continue
        hard = ", ".join(f'"{key}": "<n>"' for key in missing)
        anchor = namespaces.get(namespace, first_user)
        yield (f"namespace {namespace} runs GPU workloads (for example {first_user.type} {first_user.name}) "
               f"but no ResourceQuota caps {', '.join(missing)}, so one team can take every GPU in the "
               f"cluster. Add a ResourceQuota in {namespace} with spec.hard: {{{hard}}}.", anchor.urn)


POLICY = stack_policy(
    name=NAME,
    description="Every namespace that runs GPU workloads has a ResourceQuota capping requests.<gpu resource> "
                "(requests.nvidia.com/gpu, and requests.nvidia.com/mig-* for MIG slices in use).",
    remediation="""
GPUs are the scarce, shared resource; each team namespace that runs GPU work gets an explicit GPU
budget. Extended resources can only be capped with the requests. prefix:

  apiVersion: v1
  kind: ResourceQuota
  metadata: {name: gpu-quota, namespace: ml-team-a}
  spec:
    hard:
      requests.nvidia.com/gpu: "8"

Python (pulumi_kubernetes):
  k8s.core.v1.ResourceQuota("team-a-gpu", metadata={"namespace": "ml-team-a"},
                            spec={"hard": {"requests.nvidia.com/gpu": "8"}})

Pods using MIG slices need a cap per slice type, e.g. requests.nvidia.com/mig-1g.10gb.
""",
    check=check,
    options=("gpuResources",),
    tags=("gpu", "cost", "multi-tenancy"),
)
