"""gpu-helm-release-tolerations: charts whose pods must run on GPU nodes tolerate the GPU taint.

A Helm v3 Release renders its pods inside the provider, invisible to the pack, so the only thing
to check is the chart values that end up in the pods' tolerations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import yaml

from ..framework import resource_policy
from ..scheduling import tolerates
from ..settings import Settings
from ..values import UNKNOWN, Props, as_list, dig

NAME = "gpu-helm-release-tolerations"
RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"


def chart_name(chart: str) -> str:
    """"gpu-operator", "nvidia/gpu-operator" and "oci://ghcr.io/nvidia/gpu-operator" all name gpu-operator."""
    return chart.rstrip("/").rsplit("/", 1)[-1]


def _merge(base: Any, override: Any) -> Any:
    """Helm's values merge: maps merge key by key, anything else (lists included) replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value)
        return merged
    return override


def _load_values_file(asset: Any) -> Any:
    """Parsed valueYamlFiles entry, or None when it cannot be read from here."""
    try:
        if isinstance(asset, pulumi.StringAsset):
            text = asset.text
        elif isinstance(asset, pulumi.FileAsset):
            with open(asset.path, encoding="utf-8") as handle:
                text = handle.read()
        else:
            return None
        document = yaml.safe_load(text) if isinstance(text, str) else None
    except (OSError, yaml.YAMLError):
        return None
    return document if isinstance(document, dict) else None


def effective_values(props: Props) -> tuple[Any, bool]:
    """The release's values (valueYamlFiles, then `values` on top, as the provider merges them),
    and whether every source could be read."""
    merged: Any = {}
    complete = True
    files = as_list(props.get("valueYamlFiles"))
    for asset in [] if files is UNKNOWN else files:
        document = _load_values_file(asset)
        if document is None:
            complete = False
        else:
            merged = _merge(merged, document)
    complete = complete and files is not UNKNOWN
    values = props.get("values")
    if values is UNKNOWN:
        return UNKNOWN, False
    if isinstance(values, dict):
        merged = _merge(merged, values)
    return merged, complete


def check(props: Props, settings: Settings) -> Iterator[str]:
    chart = props.get("chart")
    if not isinstance(chart, str) or (chart_name(chart) not in settings.gpu_charts and chart not in settings.gpu_charts):
        return
    values, complete = effective_values(props)
    if values is UNKNOWN:
        return
    taint = settings.gpu_taint
    paths = settings.chart_toleration_paths.get(chart_name(chart)) or ("tolerations",)
    for path in paths:
        tolerations = dig(values, *path.split("."))
        if tolerations is None:
            if complete:
                yield (f"chart {chart_name(chart)} runs pods on GPU nodes but values.{path} is not set. The "
                       f"chart's defaults are invisible to this policy (and any list you set replaces them), so set "
                       f"it explicitly: values.{path}: [{taint.toleration_yaml()}]")
        elif tolerates(tolerations, taint) is False:
            yield (f"chart {chart_name(chart)} runs pods on GPU nodes but values.{path} does not tolerate the "
                   f"GPU node taint {taint}, so its pods never start there. Add {taint.toleration_yaml()} to it.")


POLICY = resource_policy(
    name=NAME,
    description="Helm releases of GPU-hosted charts (default: gpu-operator) tolerate the GPU node taint in "
                "their values (gpu-operator: daemonsets.tolerations and node-feature-discovery.worker.tolerations).",
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
chartTolerationPaths (default path: tolerations).
""",
    checks={RELEASE_TYPE: check},
    options=("gpuTaintKey", "gpuTaintValue", "gpuTaintEffect", "gpuCharts", "chartTolerationPaths"),
    tags=("gpu", "helm"),
)
