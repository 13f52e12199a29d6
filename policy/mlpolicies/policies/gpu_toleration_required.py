"""gpu-toleration-required: pods that ask for GPUs tolerate the GPU node taint."""

from __future__ import annotations

from collections.abc import Iterator

from ..framework import workload_policy
from ..scheduling import pod_tolerates, workload_gpus
from ..settings import Settings
from ..values import UNKNOWN
from ..workloads import Workload

NAME = "gpu-toleration-required"


def check(workload: Workload, settings: Settings) -> Iterator[str]:
    gpus = workload_gpus(workload, settings)
    if gpus is UNKNOWN or not gpus:
        return
    taint = settings.gpu_taint
    if pod_tolerates(workload.pod, taint) is False:
        yield (f"asks for {', '.join(sorted(gpus))} but does not tolerate the GPU node taint {taint}, so it "
               f"stays Pending forever. Add to the pod spec: tolerations: [{taint.toleration_yaml()}]")


POLICY = workload_policy(
    name=NAME,
    description="Pods that ask for GPUs tolerate the taint on GPU nodes (default nvidia.com/gpu=true:NoSchedule).",
    remediation="""
GPU nodes are tainted so that only GPU work lands on them; a pod that asks for a GPU must tolerate
the taint or it is never scheduled. Add this to the pod spec (the pod template's spec for
Deployments, Jobs, ...; the component spec for KServe; every replica/group template for Kubeflow
and Ray):

YAML:
  tolerations:
    - key: nvidia.com/gpu
      operator: Equal
      value: "true"
      effect: NoSchedule

Python (pulumi_kubernetes):
  tolerations=[{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]

{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} is equally fine.
""",
    check=check,
    options=("gpuResources", "gpuTaintKey", "gpuTaintValue", "gpuTaintEffect"),
    tags=("gpu", "scheduling"),
)
