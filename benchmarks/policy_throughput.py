"""Throughput of the ml-platform-guardrails pack, through the offline runner and over the engine protocol.

Generates a deterministic mix of synthetic resources (every workload kind the walker knows, plus the
non-workload resources a platform stack is mostly made of), runs every resource policy over them
with the prod config, and prints resources per second. The stack policies are timed separately.
`--engine` also drives the pack as the Pulumi CLI does: policy/__main__.py's analyzer servicer,
configured with the prod config file, one protobuf AnalyzeRequest per resource (serialization and
the SDK's proxies included), then one AnalyzeStackRequest.

    python benchmarks/policy_throughput.py [--resources 10000] [--repeat 3] [--seed 7] [--engine]

Target: >= 5,000 resources/s for the resource policies on a 2-core CI runner.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy  # noqa: E402

from policy.mlpolicies import POLICIES, load_stack_config, run_pack  # noqa: E402

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
SPOT_TOLERATION = {"key": "spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def _container(rng: random.Random, gpus: int) -> dict[str, Any]:
    limits: dict[str, Any] = {"memory": f"{rng.choice([1, 2, 4, 16])}Gi"}
    if gpus:
        limits["nvidia.com/gpu"] = str(gpus)
    return {
        "name": "main",
        "image": rng.choice(["registry.example.com/app:1.2.3", "nginx", "registry.example.com/app:latest"]),
        "ports": [{"containerPort": 8080}],
        "env": [{"name": f"VAR_{i}", "value": str(i)} for i in range(rng.randint(0, 6))],
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"} if rng.random() < 0.9 else {}, "limits": limits},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
    }


def _pod(rng: random.Random, batch: bool) -> dict[str, Any]:
    gpus = rng.choice([0, 0, 0, 1, 2])
    tolerations = []
    if gpus and rng.random() < 0.9:
        tolerations.append(GPU_TOLERATION)
    if rng.random() < (0.5 if batch else 0.05):
        tolerations.append(SPOT_TOLERATION)
    pod: dict[str, Any] = {"containers": [_container(rng, gpus)], "tolerations": tolerations,
                           "nodeSelector": {"node-pool": "gpu" if gpus else "cpu"}}
    if rng.random() < 0.3:
        pod["initContainers"] = [_container(rng, 0)]
    if batch:
        pod["restartPolicy"] = "OnFailure"
        pod["priorityClassName"] = "training-low"
    return pod


def _template(rng: random.Random, name: str, batch: bool = False) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": name}}, "spec": _pod(rng, batch)}


def _workload(rng: random.Random, kind: str, i: int) -> dict[str, Any]:
    name, namespace = f"{kind.lower()}-{i}", f"team-{i % 20}"
    meta = {"name": name, "namespace": namespace, "labels": {"app": name}}
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        spec = {"replicas": rng.randint(1, 4), "selector": {"matchLabels": {"app": name}},
                "template": _template(rng, name)}
        return {"type": f"kubernetes:apps/v1:{kind}", "props": {"metadata": meta, "spec": spec}}
    if kind == "Pod":
        return {"type": "kubernetes:core/v1:Pod", "props": {"metadata": meta, "spec": _pod(rng, False)}}
    if kind == "Job":
        return {"type": "kubernetes:batch/v1:Job", "props": {"metadata": meta, "spec": {"template": _template(rng, name, True)}}}
    if kind == "CronJob":
        return {"type": "kubernetes:batch/v1:CronJob", "props": {"metadata": meta, "spec": {
            "schedule": "0 * * * *", "jobTemplate": {"spec": {"template": _template(rng, name, True)}}}}}
    if kind == "PyTorchJob":
        return {"type": "kubernetes:kubeflow.org/v1:PyTorchJob", "props": {"metadata": meta, "spec": {
            "pytorchReplicaSpecs": {"Master": {"replicas": 1, "template": _template(rng, name, True)},
                                    "Worker": {"replicas": 4, "template": _template(rng, name, True)}}}}}
    if kind == "RayCluster":
        return {"type": "kubernetes:apiextensions.k8s.io:CustomResource", "props": {
            "apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": meta, "spec": {
                "headGroupSpec": {"template": _template(rng, name)},
                "workerGroupSpecs": [{"groupName": "gpu", "replicas": 2, "template": _template(rng, name)}]}}}
    if kind == "InferenceService":
        predictor = {**_pod(rng, False), "minReplicas": 2,
                     "model": {"modelFormat": {"name": "pytorch"}, "storageUri": "s3://models/m",
                               "resources": {"limits": {"nvidia.com/gpu": "1"}}}}
        return {"type": "kubernetes:serving.kserve.io/v1beta1:InferenceService",
                "props": {"metadata": meta, "spec": {"predictor": predictor}}}
    raise ValueError(kind)


def _other(rng: random.Random, i: int) -> dict[str, Any]:
    choice = rng.randrange(6)
    if choice == 0:
        return {"type": "kubernetes:core/v1:ConfigMap", "props": {"metadata": {"name": f"cm-{i}"},
                                                                  "data": {f"k{j}": "v" * 40 for j in range(8)}}}
    if choice == 1:
        return {"type": "kubernetes:core/v1:Service", "props": {"metadata": {"name": f"svc-{i}"}, "spec": {
            "selector": {"app": f"a-{i}"}, "ports": [{"port": 80, "targetPort": 8080}]}}}
    if choice == 2:
        return {"type": "eks:index:ManagedNodeGroup", "props": {
            "instanceTypes": [rng.choice(["m6i.xlarge", "g5.xlarge", "p4d.24xlarge"])],
            "amiType": "AL2023_x86_64_STANDARD", "capacityType": rng.choice(["ON_DEMAND", "SPOT"]),
            "labels": {"node-pool": rng.choice(["cpu", "gpu", "system"])},
            "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}] if rng.random() < 0.5 else [],
            "launchTemplate": {"id": "lt-1", "version": "1"}}}
    if choice == 3:
        return {"type": "aws:ec2/launchTemplate:LaunchTemplate", "props": {"metadataOptions": {
            "httpTokens": rng.choice(["required", "optional"]), "httpPutResponseHopLimit": rng.choice([1, 2])}}}
    if choice == 4:
        return {"type": "aws:s3/bucket:Bucket", "props": {"bucket": f"b-{i}", "tags": {"team": "ml"}}}
    return {"type": "aws:iam/role:Role", "props": {"assumeRolePolicy": "{}", "tags": {"team": "ml"}}}


WORKLOAD_MIX = ("Deployment", "Deployment", "StatefulSet", "DaemonSet", "Pod", "Job", "CronJob", "PyTorchJob",
                "RayCluster", "InferenceService")


def generate(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` resources: 60% workloads of every kind, 40% other resources."""
    rng = random.Random(seed)
    resources = []
    for i in range(count):
        res = _workload(rng, rng.choice(WORKLOAD_MIX), i) if rng.random() < 0.6 else _other(rng, i)
        res["name"] = f"r{i}"
        resources.append(res)
    return resources


def engine_servicer() -> Any:
    """The analyzer servicer policy/__main__.py builds, captured before its gRPC server starts."""
    import runpy
    from contextlib import suppress
    from unittest.mock import patch

    from pulumi_policy import policy as policy_sdk

    captured: list[Any] = []

    class _Stop(Exception):
        pass

    def capture(servicer: Any, _server: Any) -> None:
        captured.append(servicer)
        raise _Stop

    with patch.object(policy_sdk.analyzer_pb2_grpc, "add_AnalyzerServicer_to_server", capture), suppress(_Stop):
        runpy.run_path(str(Path(__file__).resolve().parents[1] / "policy" / "__main__.py"), run_name="__main__")
    return captured[0]


def engine_requests(resources: list[dict[str, Any]], config: dict[str, Any]) -> tuple[Any, list[Any], Any]:
    """(ConfigureAnalyzerRequest, one AnalyzeRequest per resource, the AnalyzeStackRequest), as the CLI sends them."""
    from google.protobuf import json_format, struct_pb2
    from pulumi.runtime import proto

    def struct(value: dict[str, Any]) -> Any:
        message = struct_pb2.Struct()
        json_format.ParseDict(value, message)
        return message

    levels = {"advisory": proto.ADVISORY, "mandatory": proto.MANDATORY, "disabled": proto.DISABLED,
              "remediate": proto.REMEDIATE}
    configure = proto.ConfigureAnalyzerRequest()
    pack_level = config.get("all")
    for policy in POLICIES:
        entry = config.get(policy.name, {})
        entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
        level = entry.pop("enforcementLevel", pack_level)
        policy_config = proto.PolicyConfig(properties=struct(entry))
        if level is not None:
            policy_config.enforcementLevel = levels[level]
        configure.policyConfig[policy.name].CopyFrom(policy_config)
    urn = "urn:pulumi:bench::ml-platform::{}::{}"
    analyze = [proto.AnalyzeRequest(type=r["type"], name=r["name"], urn=urn.format(r["type"], r["name"]),
                                    properties=struct(r["props"])) for r in resources]
    stack = proto.AnalyzeStackRequest(resources=[
        proto.AnalyzerResource(type=r.type, name=r.name, urn=r.urn, properties=r.properties) for r in analyze])
    return configure, analyze, stack


def engine_throughput(resources: list[dict[str, Any]], config: dict[str, Any], repeat: int) -> None:
    servicer = engine_servicer()
    configure, analyze, stack = engine_requests(resources, config)
    servicer.Configure(configure, None)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        diagnostics = sum(len(servicer.Analyze(request, None).diagnostics) for request in analyze)
        best = min(best, time.perf_counter() - started)
    started = time.perf_counter()
    stack_diagnostics = len(servicer.AnalyzeStack(stack, None).diagnostics)
    stack_seconds = time.perf_counter() - started
    print(f"engine protocol: Analyze x{len(analyze)}: {diagnostics} diagnostics, best of {repeat}: "
          f"{len(analyze) / best:,.0f} resources/s ({best:.2f}s); AnalyzeStack: {stack_diagnostics} diagnostics, "
          f"{stack_seconds:.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="report the best of this many runs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engine", action="store_true", help="also time the analyzer over the engine protocol")
    args = parser.parse_args()

    resources = generate(args.resources, args.seed)
    config = load_stack_config("prod")
    resource_policies = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
    stack_policies = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]

    best = float("inf")
    for _ in range(args.repeat):
        started = time.perf_counter()
        violations = run_pack(resources, config, policies=resource_policies)
        best = min(best, time.perf_counter() - started)
    started = time.perf_counter()
    stack_violations = run_pack(resources, config, policies=stack_policies)
    stack_seconds = time.perf_counter() - started

    kinds = Counter(r["props"].get("kind") or r["type"].rsplit(":", 1)[-1] for r in resources)
    print(f"resources: {len(resources)} ({len(kinds)} kinds: {', '.join(f'{k}={n}' for k, n in kinds.most_common())})")
    print(f"resource policies: {len(resource_policies)}, violations: {len(violations)}")
    print(f"stack policies: {len(stack_policies)}, violations: {len(stack_violations)}, {stack_seconds:.2f}s")
    print(f"throughput (resource policies, best of {args.repeat}): {len(resources) / best:,.0f} resources/s "
          f"({best:.2f}s)")
    if args.engine:
        engine_throughput(resources, config, args.repeat)


if __name__ == "__main__":
    main()
