"""Test helpers for the ml-platform-guardrails pack.

    violations("gpu-limits-required", workload("Deployment", pod))     -> ["Deployment ml/w: container ..."]
    props_violations("cluster-secrets-encryption", "eks:index:Cluster", {...})   -> [...]
    stack_violations("gpu-inference-has-pdb", [deployment, pdb, ...])  -> [...]
    run_pack(resources, load_stack_config("prod"))                      -> [Violation, ...]   (whole pack)

`workload(kind, pod_spec)` wraps one pod spec into the shape of any workload kind the walker knows,
so a spec can be parametrized over WORKLOAD_KINDS. The `engine_*` helpers drive the pack through the
analyzer servicer with protobuf requests, as the Pulumi engine does (see test_engine.py).
"""

from __future__ import annotations

import copy
import json
import runpy
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from google.protobuf import json_format, struct_pb2  # noqa: E402
from pulumi.runtime import proto  # noqa: E402
from pulumi_policy import policy as policy_sdk  # noqa: E402
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE  # noqa: E402

from policy.mlpolicies import POLICIES_BY_NAME, UNKNOWN, Violation, load_stack_config, run_pack  # noqa: E402

__all__ = [
    "BATCH_KINDS_UNDER_TEST", "CLEAN_CPU_POD", "GPU_TOLERATION", "LEVEL_NAMES", "REPO_ROOT",
    "SPOT_TOLERATION", "UNKNOWN", "WORKLOAD_KINDS", "Violation", "container", "engine_analyze",
    "engine_analyze_stack", "engine_configure", "engine_servicer", "gpu_pod", "load_stack_config",
    "policy_names", "props_violations", "resource", "run_pack", "stack_config_json", "stack_violations",
    "to_struct", "violations", "workload",
]

# --- building blocks -------------------------------------------------------------------------------

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
SPOT_TOLERATION = {"key": "spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def container(name: str = "app", *, image: str = "registry.example.com/app:1.0.0", cpu: str | None = "500m",
              memory: str | None = "1Gi", gpus: Any = None, gpu_request: Any = None,
              resource: str = "nvidia.com/gpu", **extra: Any) -> dict[str, Any]:
    """A container that passes every policy unless told otherwise (gpus= sets the GPU limit)."""
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    limits: dict[str, Any] = {}
    if gpus is not None:
        limits[resource] = gpus
    if gpu_request is not None:
        requests[resource] = gpu_request
    resources = {"requests": requests, **({"limits": limits} if limits else {})}
    return {"name": name, "image": image, "resources": resources, **extra}


def gpu_pod(gpus: Any = "1", **pod: Any) -> dict[str, Any]:
    """A compliant GPU pod spec: limit, toleration, GPU pool selector."""
    spec = {"containers": [container("server", gpus=gpus)], "tolerations": [GPU_TOLERATION],
            "nodeSelector": {"node-pool": "gpu"}}
    spec.update(pod)
    return spec


CLEAN_CPU_POD = {"containers": [container("ray-head", image="rayproject/ray:2.9.0")]}


def resource(type_: str, props: Mapping[str, Any], name: str = "test", **extra: Any) -> dict[str, Any]:
    return {"type": type_, "name": name, "props": copy.deepcopy(dict(props)), **extra}


# --- one pod spec, every workload kind -------------------------------------------------------------

def _meta(name: str, namespace: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, **({"labels": dict(labels)} if labels else {})}


def _template(pod: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    return {"metadata": {"labels": dict(labels)}, "spec": copy.deepcopy(dict(pod))}


def _wrap(kind: str, pod: Mapping[str, Any], name: str, namespace: str, labels: Mapping[str, str],
          replicas: int | None) -> tuple[str, dict[str, Any]]:
    meta = _meta(name, namespace)
    template = _template(pod, labels)
    selector = {"matchLabels": dict(labels)}
    if kind == "Pod":
        return "kubernetes:core/v1:Pod", {"apiVersion": "v1", "kind": "Pod", "metadata": _meta(name, namespace, labels),
                                          "spec": copy.deepcopy(dict(pod))}
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        spec = {"selector": selector, "template": template, **({"replicas": replicas} if replicas is not None else {})}
        return f"kubernetes:apps/v1:{kind}", {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}
    if kind == "DaemonSet":
        return "kubernetes:apps/v1:DaemonSet", {"apiVersion": "apps/v1", "kind": kind, "metadata": meta,
                                                "spec": {"selector": selector, "template": template}}
    if kind == "Job":
        template["spec"].setdefault("restartPolicy", "Never")
        return "kubernetes:batch/v1:Job", {"apiVersion": "batch/v1", "kind": kind, "metadata": meta,
                                           "spec": {"template": template}}
    if kind == "CronJob":
        template["spec"].setdefault("restartPolicy", "OnFailure")
        return "kubernetes:batch/v1:CronJob", {"apiVersion": "batch/v1", "kind": kind, "metadata": meta, "spec": {
            "schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}}
    if kind == "InferenceService":
        # Custom-container form: the pod spec fields sit inline in spec.predictor.
        predictor = {**copy.deepcopy(dict(pod)), "minReplicas": replicas or 1}
        return "kubernetes:serving.kserve.io/v1beta1:InferenceService", {
            "apiVersion": "serving.kserve.io/v1beta1", "kind": kind, "metadata": _meta(name, namespace, labels),
            "spec": {"predictor": predictor}}
    if kind in ("PyTorchJob", "CustomResource:PyTorchJob"):
        props = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": meta, "spec": {
            "pytorchReplicaSpecs": {"Worker": {"replicas": replicas or 2, "restartPolicy": "OnFailure",
                                               "template": template}}}}
        if kind.startswith("CustomResource"):
            return "kubernetes:apiextensions.k8s.io:CustomResource", props
        return "kubernetes:kubeflow.org/v1:PyTorchJob", props
    if kind == "TFJob":
        return "kubernetes:kubeflow.org/v1:TFJob", {"apiVersion": "kubeflow.org/v1", "kind": kind, "metadata": meta,
                                                    "spec": {"tfReplicaSpecs": {"Worker": {
                                                        "replicas": replicas or 2, "template": template}}}}
    if kind in ("RayCluster", "RayJob", "CustomResource:RayCluster"):
        cluster = {"headGroupSpec": {"rayStartParams": {}, "template": _template(CLEAN_CPU_POD, {"ray": "head"})},
                   "workerGroupSpecs": [{"groupName": "workers", "replicas": replicas or 1, "template": template}]}
        if kind == "RayJob":
            return "kubernetes:ray.io/v1:RayJob", {"apiVersion": "ray.io/v1", "kind": kind, "metadata": meta, "spec": {
                "entrypoint": "python train.py", "rayClusterSpec": cluster}}
        type_ = "kubernetes:apiextensions.k8s.io:CustomResource" if kind.startswith("CustomResource") \
            else "kubernetes:ray.io/v1:RayCluster"
        return type_, {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": meta, "spec": cluster}
    raise ValueError(f"no builder for kind {kind!r}")


WORKLOAD_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
                  "InferenceService", "PyTorchJob", "TFJob", "RayCluster", "RayJob",
                  "CustomResource:PyTorchJob", "CustomResource:RayCluster")
BATCH_KINDS_UNDER_TEST = frozenset({"Job", "CronJob", "PyTorchJob", "TFJob", "RayJob", "CustomResource:PyTorchJob"})


def workload(kind: str, pod: Mapping[str, Any], *, name: str = "w", namespace: str = "ml",
             labels: Mapping[str, str] | None = None, replicas: int | None = None) -> dict[str, Any]:
    """A resource of `kind` whose (only interesting) pod template is `pod`."""
    type_, props = _wrap(kind, pod, name, namespace, labels or {"app": name}, replicas)
    return {"type": type_, "name": name, "props": props}


# --- running policies ------------------------------------------------------------------------------

def violations(policy_name: str, *resources: Mapping[str, Any], config: Mapping[str, Any] | None = None,
               ) -> list[str]:
    """Messages one policy reports over `resources` (each checked on its own, or as one stack for a
    stack policy). `config` is that policy's options, e.g. {"exemptNamespaces": ["ops"]}."""
    policy = POLICIES_BY_NAME[policy_name]
    pack_config = {policy_name: dict(config)} if config else None
    return [v.message for v in run_pack(list(resources), pack_config, policies=[policy])]


def props_violations(policy_name: str, resource_type: str, props: Mapping[str, Any], *,
                     config: Mapping[str, Any] | None = None, name: str = "test") -> list[str]:
    """Messages one policy reports for a single resource given as a type token and a props dict."""
    return violations(policy_name, resource(resource_type, props, name=name), config=config)


def stack_violations(policy_name: str, resources: Iterable[Mapping[str, Any]],
                     config: Mapping[str, Any] | None = None) -> list[str]:
    return violations(policy_name, *resources, config=config)


def policy_names(found: Iterable[Violation]) -> set[str]:
    return {v.policy_name for v in found}


# --- the engine's path -----------------------------------------------------------------------------

class _Captured(Exception):
    def __init__(self, servicer: Any) -> None:
        super().__init__("servicer captured")
        self.servicer = servicer


def engine_servicer(monkeypatch: Any) -> Any:
    """Run policy/__main__.py as the CLI would, but stop PolicyPack before it starts serving and
    return the analyzer servicer it built (the object the engine's gRPC calls reach)."""

    def capture(servicer: Any, _server: Any) -> None:
        raise _Captured(servicer)

    monkeypatch.setattr(policy_sdk.analyzer_pb2_grpc, "add_AnalyzerServicer_to_server", capture)
    try:
        runpy.run_path(str(REPO_ROOT / "policy" / "__main__.py"), run_name="__main__")
    except _Captured as captured:
        return captured.servicer
    raise AssertionError("policy/__main__.py did not construct a PolicyPack")


_LEVELS = {"advisory": proto.ADVISORY, "mandatory": proto.MANDATORY, "disabled": proto.DISABLED,
           "remediate": proto.REMEDIATE}
LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}


def to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    """A protobuf Struct as the engine sends properties (UNKNOWN as the engine's sentinel)."""
    def encode(v: Any) -> Any:  # UNKNOWN travels as the engine's sentinel string
        if v is UNKNOWN:
            return UNKNOWN_STRING_VALUE
        if isinstance(v, Mapping):
            return {k: encode(x) for k, x in v.items()}
        if isinstance(v, list):
            return [encode(x) for x in v]
        return v

    struct = struct_pb2.Struct()
    json_format.ParseDict(encode(dict(value)), struct)
    return struct


def engine_configure(servicer: Any, config: Mapping[str, Any], names: Iterable[str]) -> None:
    """Send a --policy-pack-config file's content the way the CLI does: "all" expanded, one
    PolicyConfig per policy, schema defaults filled in by the CLI (not needed here: the pack
    applies its own defaults)."""
    request = proto.ConfigureAnalyzerRequest()
    pack_level = config.get("all")
    for name in names:
        entry = config.get(name, {})
        if isinstance(entry, str):
            entry = {"enforcementLevel": entry}
        level = entry.get("enforcementLevel", pack_level)
        if level is None and not entry:
            continue
        policy_config = proto.PolicyConfig(properties=to_struct({k: v for k, v in entry.items()
                                                               if k != "enforcementLevel"}))
        if level is not None:
            policy_config.enforcementLevel = _LEVELS[level]
        request.policyConfig[name].CopyFrom(policy_config)
    servicer.Configure(request, None)


def _urn(res: Mapping[str, Any]) -> str:
    return res.get("urn") or f"urn:pulumi:test::ml-platform::{res['type']}::{res['name']}"


def engine_analyze(servicer: Any, res: Mapping[str, Any]) -> Any:
    request = proto.AnalyzeRequest(type=res["type"], name=res["name"], urn=_urn(res),
                                   properties=to_struct(res["props"]))
    return servicer.Analyze(request, None)


def engine_analyze_stack(servicer: Any, resources: Iterable[Mapping[str, Any]]) -> Any:
    request = proto.AnalyzeStackRequest(resources=[
        proto.AnalyzerResource(type=r["type"], name=r["name"], urn=_urn(r), properties=to_struct(r["props"]))
        for r in resources])
    return servicer.AnalyzeStack(request, None)


def stack_config_json(stack: str) -> dict[str, Any]:
    return json.loads((REPO_ROOT / "policy" / "config" / f"{stack}.json").read_text())
