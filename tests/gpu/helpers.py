"""Helpers of the GPU tests: settings per stack, programs under mocks, chart key skeletons."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pulumi

from stacks.offline import PlannedResource, PlatformMocks, RecordingMonitor
from stacks.settings import PlatformSettings, load_settings
from tests.gpu.tools.chart_keys import type_name

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RELEASE = "kubernetes:helm.sh/v3:Release"

GPU_SPOT_POOL = {"name": "gpu-spot", "kind": "gpu", "capacityType": "SPOT", "minSize": 0, "maxSize": 4,
                 "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"},
                            {"key": "spot", "value": "true", "effect": "NoSchedule"}]}
TEAMS = [
    {"name": "ml-research", "ownersGroup": "ml-research-owners", "gpuQuota": 1, "cpuQuota": "32",
     "memoryQuota": "128Gi"},
    {"name": "ml-serving", "ownersGroup": "ml-serving-owners", "gpuQuota": 1, "cpuQuota": 16, "memoryQuota": "64Gi",
     "allowInferenceHigh": True},
]


def settings(stack: str = "dev", **config: Any) -> PlatformSettings:
    """Validated settings of `stack` with `config` (camelCase keys without the mlplatform: prefix)."""
    return load_settings(stack, config)


def run_program(program: Callable[[], Any], stack: str = "dev") -> list[PlannedResource]:
    """Run `program` (which registers resources) under the platform's mocks; return what it registered."""
    mocks = PlatformMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="mlplatform", stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.test(program)()
    return list(monitor.planned)


def policy_resources(planned: list[PlannedResource]) -> list[dict[str, Any]]:
    """Planned resources as the policy pack receives them (as stacks/review/verdicts.py hands them over)."""
    return [{"type": r.type, "name": r.name, "urn": r.urn, "props": r.inputs} for r in planned
            if r.custom or r.remote]


@cache
def skeleton(chart: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{chart}-keys.json").read_text())




def value_paths(values: Mapping[str, Any], open_maps: set[str], known: Mapping[str, str] | None = None,
                prefix: str = "") -> dict[str, Any]:
    """Every dotted key path set in `values`. Lists, the children of open maps and (given `known`) the
    children of unknown keys are not descended into."""
    paths: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else key
        paths[path] = value
        if isinstance(value, Mapping) and path not in open_maps and (known is None or path in known):
            paths.update(value_paths(value, open_maps, known, path))
    return paths


def unknown_keys(chart: str, values: Mapping[str, Any]) -> list[str]:
    """Keys of `values` that the pinned chart does not have, or whose type differs from the chart's default."""
    doc = skeleton(chart)
    keys, open_maps = doc["keys"], set(doc["open"])
    alternatives = doc.get("alternativeTypes", {})
    problems = []
    for path, value in value_paths(values, open_maps, keys).items():
        if path not in keys:
            problems.append(f"{path}: not a key of {chart} {doc['version']}")
            continue
        expected, actual = keys[path], type_name(dict(value) if isinstance(value, Mapping) else value)
        if expected != "null" and actual != expected and actual not in alternatives.get(path, []):
            problems.append(f"{path}: {actual}, but the chart's default is a {expected}")
    return problems
