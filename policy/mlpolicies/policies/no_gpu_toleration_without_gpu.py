"""no-gpu-toleration-without-gpu: only pods that use GPUs may sit on GPU nodes."""

from __future__ import annotations

from collections.abc import Iterator

from ..framework import workload_policy
from ..scheduling import how_tolerated, pod_tolerates, workload_uses_gpu
from ..settings import Settings
from ..workloads import Workload

NAME = "no-gpu-toleration-without-gpu"


def check(workload: Workload, settings: Settings) -> Iterator[str]:
    namespace = workload.ctx.namespace
    if not isinstance(namespace, str) or namespace in settings.exempt_namespaces:
        return  # node agents; an unknown namespace might be one of them
    taint = settings.gpu_taint
    if workload_uses_gpu(workload, settings) is False and pod_tolerates(workload.pod, taint) is True:
        how = how_tolerated(workload.pod.get("tolerations"), taint)
        yield (f"asks for no GPU but tolerates the GPU node taint {taint} ({how}), so it can occupy a GPU "
               f'node and keep it from scaling down. Remove that toleration, or add resources.limits'
               f'["{settings.primary_gpu_resource}"] if the pod really needs a GPU.')


POLICY = workload_policy(
    name=NAME,
    description="Pods that do not ask for a GPU do not tolerate the GPU node taint (system namespaces exempt).",
    remediation="""
A CPU-only pod that tolerates the GPU taint can be packed onto a GPU node, where it wastes the most
expensive capacity in the cluster and stops the autoscaler from removing the node. Remove the GPU
toleration from the pod spec, including a catch-all {"operator": "Exists"} without a key (which
tolerates every taint). If the pod does need a GPU, request one instead:

  resources:
    limits:
      nvidia.com/gpu: "1"

Node agents that must run everywhere (device plugin, DCGM exporter, node-exporter) belong in one of
the exempt namespaces (config option exemptNamespaces; default gpu-operator, monitoring, kube-system).
""",
    check=check,
    options=("gpuResources", "gpuTaintKey", "gpuTaintValue", "gpuTaintEffect", "exemptNamespaces"),
    tags=("gpu", "scheduling", "cost"),
)
