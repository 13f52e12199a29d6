"""gpu-helm-release-tolerations: charts whose pods must run on GPU nodes tolerate the GPU taint.

A Helm v3 Release renders its pods inside the provider, invisible to the pack, so the only thing
to check is the chart values that end up in the pods' tolerations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..framework import resource_policy
from ..helm import RELEASE_TYPE, effective_values, release_chart, resolve
from ..scheduling import any_of, tolerates
from ..settings import Settings
from ..values import UNKNOWN, Props, dig, positive_int

NAME = "gpu-helm-release-tolerations"


def _node_agents(chart: str, values: Any, complete: bool, settings: Settings) -> Iterator[str]:
    """A chart in gpuCharts runs pods on every GPU node: each toleration path tolerates the GPU taint."""
    taint = settings.gpu_taint
    for path in settings.chart_toleration_paths.get(chart) or ("tolerations",):
        tolerations = dig(values, *path.split("."))
        if tolerations is None:
            if complete:
                yield (f"chart {chart} runs pods on GPU nodes but values.{path} is not set. The "
                       f"chart's defaults are invisible to this policy (and any list you set replaces them), so set "
                       f"it explicitly: values.{path}: [{taint.toleration_yaml()}]")
        elif tolerates(tolerations, taint) is False:
            yield (f"chart {chart} runs pods on GPU nodes but values.{path} does not tolerate the "
                   f"GPU node taint {taint}, so its pods never start there. Add {taint.toleration_yaml()} to it.")


def _gpu_requests(chart: str, values: Any, settings: Settings) -> Iterator[str]:
    """Each part of the values that asks for GPUs is tolerated by a toleration path in it or above it."""
    taint = settings.gpu_taint
    toleration_paths = settings.chart_toleration_paths.get(chart) or ("tolerations",)
    for request_path in settings.chart_gpu_request_paths.get(chart, ()):
        for where, count, bound in resolve(values, request_path):
            if not isinstance(positive_int(count), int):
                continue
            tolerated = any_of(tolerates(found, taint) if found is not None else False
                               for path in toleration_paths for _, found, _ in resolve(values, path, bound))
            if tolerated is False:
                paths = " or ".join(f"values.{p}" for p in toleration_paths)
                yield (f"chart {chart} asks for {count} GPU(s) at values.{where}, but no toleration in {paths} "
                       f"tolerates the GPU node taint {taint}, so those pods stay Pending. Add "
                       f"{taint.toleration_yaml()} to one of them.")


def check(props: Props, settings: Settings) -> Iterator[str]:
    chart = release_chart(props)
    if chart is None or chart not in settings.known_charts:
        return
    values, complete = effective_values(props)
    if values is UNKNOWN:
        return
    if chart in settings.gpu_charts:
        yield from _node_agents(chart, values, complete, settings)
    yield from _gpu_requests(chart, values, settings)


POLICY = resource_policy(
    name=NAME,
    description="Helm releases of GPU-hosted charts (default: gpu-operator) tolerate the GPU node taint in "
                "their values (gpu-operator: daemonsets.tolerations and node-feature-discovery.worker.tolerations), "
                "and charts whose values ask for GPUs (vllm-stack) tolerate it wherever they do.",
    remediation="""
The GPU operator's DaemonSets (driver, container toolkit, device plugin, DCGM exporter) and the
node-feature-discovery worker must run on the tainted GPU nodes, otherwise no node ever advertises
nvidia.com/gpu. Helm replaces lists instead of merging them, so set the tolerations explicitly:

YAML values:
  daemonsets:
    tolerations:
      - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
  node-feature-discovery:
    worker:
      tolerations:
        - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}

Python (pulumi_kubernetes):
  gpu_toleration = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
  k8s.helm.v3.Release("gpu-operator", chart="gpu-operator", ..., values={
      "daemonsets": {"tolerations": [gpu_toleration]},
      "node-feature-discovery": {"worker": {"tolerations": [gpu_toleration]}},
  })

Other GPU-hosted charts are listed in the config option gpuCharts, with their toleration paths in
chartTolerationPaths (default path: tolerations). Charts whose values ask for GPUs (the vLLM
production stack's servingEngineSpec.modelSpec[].requestGPU) list those paths in chartGpuRequestPaths;
each model that asks for GPUs must be tolerated there, for example

  servingEngineSpec:
    tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
""",
    checks={RELEASE_TYPE: check},
    options=("gpuTaintKey", "gpuTaintValue", "gpuTaintEffect", "gpuCharts", "chartTolerationPaths",
             "chartGpuRequestPaths"),
    tags=("gpu", "helm"),
)
