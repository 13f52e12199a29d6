"""Serving test helpers: valid arguments to start from, and the pack run over built manifests."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from components.gpu.scheduling import SchedulingPolicy
from components.gpu.teams import TeamNamespace
from components.serving.args import ModelServiceArgs, ProcessingServiceArgs, parse
from components.serving.specs import Manifest
from domain.settings import PlatformSettings
from domain.settings.gpu_layer import gpu_layer
from policy.mlpolicies.runner import load_stack_config, run_pack
from tests.gpu.helpers import policy_resources, run_program, settings

DIGEST = "@sha256:" + "0123456789abcdef" * 4  # any digest but the all-zero placeholder
IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/ml-serving/llm-server:1.4.2" + DIGEST
CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
SERVING_TEAM = {"name": "ml-serving", "ownersGroup": "ml-serving", "gpuQuota": 2, "cpuQuota": "32",
                "memoryQuota": "128Gi", "allowInferenceHigh": True}
STACKS = ("dev", "staging", "prod")


def model(**fields: Any) -> dict[str, Any]:
    return {"name": "support-llm", "version": 3, "experimentId": "12", **fields}


def online(**fields: Any) -> dict[str, Any]:
    base = {"name": "llm", "gpus": 1, "online": {"signal": "gpu", "target": 70}, "versions": [
        {"name": "stable", "weight": 90, "model": model(), "image": IMAGE, "replicas": {"min": 1, "max": 2}},
        {"name": "canary", "weight": 10, "model": model(version=4), "image": IMAGE, "replicas": {"min": 1, "max": 1}},
    ]}
    base.update(fields)
    return base


def batch(**fields: Any) -> dict[str, Any]:
    base = {"name": "batch", "mode": "batch", "gpus": 1, "versions": [
        {"name": "worker", "model": model(alias="champion", version=None), "image": IMAGE,
         "replicas": {"min": 0, "max": 1}}]}
    base.update(fields)
    return base


def args(data: dict[str, Any]) -> ModelServiceArgs:
    parsed = parse(ModelServiceArgs, copy.deepcopy(data), data.get("name", "svc"))
    assert isinstance(parsed, ModelServiceArgs)
    return parsed


def processing(**fields: Any) -> ProcessingServiceArgs:
    data = {"name": "preprocess", "image": IMAGE, "modelUrl": "http://llm-stable.ml-serving.svc.cluster.local",
            **fields}
    parsed = parse(ProcessingServiceArgs, data, "preprocess")
    assert isinstance(parsed, ProcessingServiceArgs)
    return parsed


@cache
def platform(stack: str) -> PlatformSettings:
    """The stack's platform settings with the serving team (gpuQuota 2: dev's capacity) beside its own teams."""
    base = settings(stack)
    teams = [t.model_dump(by_alias=True) for t in base.teams if t.name != "ml-serving"]
    research = [{**t, "gpuQuota": 0} for t in teams]
    return settings(stack, teams=[*research, SERVING_TEAM])


@cache
def platform_resources(stack: str) -> tuple[dict[str, Any], ...]:
    """What the platform stack holds that the pack reads: PriorityClasses, team namespaces and quotas."""
    s = platform(stack)

    def program() -> None:
        SchedulingPolicy("scheduling")
        for team in s.teams:
            TeamNamespace(f"team-{team.name}", team, gpu_layer(s))

    return tuple(policy_resources(run_program(program, stack)))


def verdicts(manifests: list[Manifest], stack: str) -> list[str]:
    resources = [*copy.deepcopy(list(platform_resources(stack))),
                 *({"type": m.resource_type, "name": m.name, "props": copy.deepcopy(m.props)} for m in manifests)]
    return [str(v) for v in run_pack(resources, load_stack_config(stack))]
