"""Helpers of the GPU tests: settings per stack, programs under mocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi

from domain.settings import PlatformSettings, load_settings
from stacks.offline import PlannedResource, PlatformMocks, RecordingMonitor

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
