"""gpu-node-selector-advised: GPU pods pin themselves to a GPU node pool (advisory)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ..framework import workload_policy
from ..scheduling import selects_node_pool, workload_uses_gpu
from ..settings import Settings
from ..workloads import Workload

NAME = "gpu-node-selector-advised"


def check(workload: Workload, settings: Settings) -> Iterator[str]:
    if workload_uses_gpu(workload, settings) is not True:
        return
    label, pools = settings.node_pool_label, settings.gpu_node_pools
    if selects_node_pool(workload.pod, label, pools) is False:
        pool = pools[0] if pools else "gpu"
        yield (f'asks for GPUs but does not select a GPU pool ({label} in {list(pools)}). Add '
               f'nodeSelector: {{"{label}": "{pool}"}} so that it lands on, and the autoscaler scales, '
               f'the intended GPU pool.')


POLICY = workload_policy(
    name=NAME,
    description="Pods that ask for GPUs select a GPU node pool through nodeSelector or required node affinity.",
    remediation="""
Without a selector, a GPU pod can land on any node group that exposes GPUs, and the cluster
autoscaler may scale up the wrong (often the most expensive) GPU pool. Select the pool explicitly:

YAML:
  nodeSelector:
    node-pool: gpu

or, to allow several GPU pools, a required node affinity:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - {key: node-pool, operator: In, values: [gpu]}

Python (pulumi_kubernetes): node_selector={"node-pool": "gpu"}
""",
    check=check,
    options=("gpuResources", "nodePoolLabel", "gpuNodePools"),
    enforcement=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    tags=("gpu", "scheduling", "cost"),
)
