"""Example workloads and platform resources as the engine would see them (plain dicts).

Each `*_example()` returns a list of resources that passes the whole pack with the prod config, with
no advisory notes either. `BROKEN_TWINS` maps a name to (resources, the policy names that must fire)
for a copy with one deliberate mistake.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
SPOT_TOLERATION = {"key": "spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def _k8s(type_: str, name: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": f"kubernetes:{type_}", "name": name, "props": props}


def _namespace(name: str) -> dict[str, Any]:
    return _k8s("core/v1:Namespace", name, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def _priority_class(name: str, value: int, preemption: str) -> dict[str, Any]:
    return _k8s("scheduling.k8s.io/v1:PriorityClass", name, {
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
        "value": value, "preemptionPolicy": preemption, "description": f"{name} workloads"})


def _gpu_quota(namespace: str, gpus: int) -> dict[str, Any]:
    return _k8s("core/v1:ResourceQuota", f"{namespace}-gpu-quota", {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "gpu", "namespace": namespace},
        "spec": {"hard": {"requests.nvidia.com/gpu": str(gpus)}}})


def _probe(path: str, port: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": 10, "failureThreshold": 3}


def gpu_inference_example() -> list[dict[str, Any]]:
    """An LLM server: GPU limit, GPU toleration, GPU pool selector, inference-high, probes, PDB, HPA."""
    labels = {"app": "llm-server", "team": "nlp"}
    container = {
        "name": "server", "image": f"{REGISTRY}/llm-server:1.4.2",
        "ports": [{"containerPort": 8000, "name": "http"}],
        "resources": {"requests": {"cpu": "4", "memory": "24Gi"},
                      "limits": {"memory": "24Gi", "nvidia.com/gpu": "1"}},
        "readinessProbe": _probe("/ready", 8000), "livenessProbe": _probe("/healthz", 8000),
        "startupProbe": {**_probe("/healthz", 8000), "failureThreshold": 60},
    }
    deployment = _k8s("apps/v1:Deployment", "llm-server", {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "llm-server", "namespace": "ml-serving", "labels": labels},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "llm-server"}}, "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [container], "tolerations": [GPU_TOLERATION],
                     "nodeSelector": {"node-pool": "gpu"}, "priorityClassName": "inference-high",
                     "terminationGracePeriodSeconds": 60}}}})
    pdb = _k8s("policy/v1:PodDisruptionBudget", "llm-server", {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "llm-server", "namespace": "ml-serving"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "llm-server"}}}})
    hpa = _k8s("autoscaling/v2:HorizontalPodAutoscaler", "llm-server", {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "llm-server", "namespace": "ml-serving"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm-server"},
                 "minReplicas": 2, "maxReplicas": 6,
                 "metrics": [{"type": "Resource", "resource": {
                     "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}})
    return [_namespace("ml-serving"), _priority_class("inference-high", 100000, "PreemptLowerPriority"),
            _gpu_quota("ml-serving", 8), deployment, pdb, hpa]


def training_job_example(gpus: int = 1) -> list[dict[str, Any]]:
    """A fine-tuning Job on spot capacity in training-low (preemptionPolicy Never); with GPUs it also
    tolerates the GPU taint and selects the GPU pool."""
    resources: dict[str, Any] = {"requests": {"cpu": "8", "memory": "32Gi"}, "limits": {"memory": "32Gi"}}
    pod: dict[str, Any] = {"restartPolicy": "OnFailure", "priorityClassName": "training-low",
                           "tolerations": [SPOT_TOLERATION], "nodeSelector": {"node-pool": "spot"}}
    if gpus:
        resources["limits"]["nvidia.com/gpu"] = str(gpus)
        pod["tolerations"] = [SPOT_TOLERATION, GPU_TOLERATION]
        pod["nodeSelector"] = {"node-pool": "gpu"}
    pod["containers"] = [{"name": "trainer", "image": f"{REGISTRY}/bert-finetune:2024.11.3",
                          "command": ["python", "train.py", "--epochs", "3"], "resources": resources}]
    job = _k8s("batch/v1:Job", "bert-finetune", {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "bert-finetune", "namespace": "ml-training"},
        "spec": {"backoffLimit": 4, "template": {"metadata": {"labels": {"app": "bert-finetune"}}, "spec": pod}}})
    extra = [_gpu_quota("ml-training", 16)] if gpus else []
    return [_namespace("ml-training"), _priority_class("training-low", 1000, "Never"), *extra, job]


def cpu_service_example() -> list[dict[str, Any]]:
    """A FastAPI service on the cpu pool."""
    labels = {"app": "feature-api"}
    deployment = _k8s("apps/v1:Deployment", "feature-api", {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "feature-api", "namespace": "web", "labels": labels},
        "spec": {"replicas": 3, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"nodeSelector": {"node-pool": "cpu"}, "containers": [{
                "name": "api", "image": f"{REGISTRY}/feature-api:3.2.0",
                "command": ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8080"],
                "ports": [{"containerPort": 8080}],
                "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
                "readinessProbe": _probe("/ready", 8080), "livenessProbe": _probe("/healthz", 8080)}]}}}})
    service = _k8s("core/v1:Service", "feature-api", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "feature-api", "namespace": "web"},
        "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}})
    return [_namespace("web"), deployment, service]


def platform_example() -> list[dict[str, Any]]:
    """The cluster side, as components/ builds it: encrypted private cluster, tainted pools on IMDSv2
    launch templates, and the GPU operator release."""
    lt_options = {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1,
                  "instanceMetadataTags": "disabled"}

    def pool(name: str, instance_types: list[str], taints: list[dict[str, str]], **extra: Any) -> list[dict[str, Any]]:
        lt = {"type": "aws:ec2/launchTemplate:LaunchTemplate", "name": f"pools-{name}",
              "props": {"metadataOptions": dict(lt_options)}}
        group = {"type": "eks:index:ManagedNodeGroup", "name": f"pools-{name}", "props": {
            "instanceTypes": instance_types, "amiType": "AL2023_x86_64_STANDARD", "capacityType": "ON_DEMAND",
            "labels": {"node-pool": name}, "taints": taints, "launchTemplate": {"id": "lt-123", "version": "1"},
            **extra}}
        return [lt, group]

    gpu_operator_toleration = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    return [
        {"type": "eks:index:Cluster", "name": "ml", "props": {
            "encryptionConfigKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1111",
            "endpointPrivateAccess": True, "endpointPublicAccess": False, "skipDefaultNodeGroup": True}},
        *pool("system", ["m6i.large"], [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]),
        *pool("cpu", ["m6i.xlarge", "m7i.xlarge"], []),
        *pool("gpu", ["g5.xlarge", "g6.xlarge"], [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
              amiType="AL2023_x86_64_NVIDIA"),
        *pool("spot", ["m6i.2xlarge", "m6a.2xlarge", "m5.2xlarge"],
              [{"key": "spot", "value": "true", "effect": "NO_SCHEDULE"}], capacityType="SPOT"),
        {"type": "kubernetes:helm.sh/v3:Release", "name": "gpu-operator", "props": {
            "chart": "gpu-operator", "version": "v24.9.0", "namespace": "gpu-operator",
            "repositoryOpts": {"repo": "https://helm.ngc.nvidia.com/nvidia"},
            "values": {"driver": {"enabled": False}, "toolkit": {"enabled": False},
                       "daemonsets": {"tolerations": [gpu_operator_toleration]},
                       "node-feature-discovery": {"worker": {"tolerations": [gpu_operator_toleration]}}}}},
    ]


def all_examples() -> list[dict[str, Any]]:
    # The inference and training examples both define their namespace's resources; no overlap.
    return [*platform_example(), *gpu_inference_example(), *training_job_example(), *cpu_service_example()]


# --- broken twins ----------------------------------------------------------------------------------

def _find(resources: list[dict[str, Any]], type_suffix: str, name: str | None = None) -> dict[str, Any]:
    return next(r for r in resources if r["type"].endswith(type_suffix) and (name is None or r["name"] == name))


def _pod(resources: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return _find(resources, f":{kind}")["props"]["spec"]["template"]["spec"]


def _twin(build: Callable[[], list[dict[str, Any]]], mutate: Callable[[list[dict[str, Any]]], None],
          ) -> Callable[[], list[dict[str, Any]]]:
    def make() -> list[dict[str, Any]]:
        resources = copy.deepcopy(build())
        mutate(resources)
        return resources
    return make


def _drop(resources: list[dict[str, Any]], type_suffix: str) -> None:
    resources.remove(_find(resources, type_suffix))


BROKEN_TWINS: dict[str, tuple[Callable[[], list[dict[str, Any]]], set[str]]] = {
    "inference without GPU toleration": (
        _twin(gpu_inference_example, lambda r: _pod(r, "Deployment").update(tolerations=[])),
        {"gpu-toleration-required"}),
    "inference GPU request without limit": (
        _twin(gpu_inference_example, lambda r: _pod(r, "Deployment")["containers"][0]["resources"].update(
            requests={"cpu": "4", "memory": "24Gi", "nvidia.com/gpu": "1"}, limits={"memory": "24Gi"})),
        {"gpu-limits-required"}),
    "inference with half a GPU": (
        _twin(gpu_inference_example, lambda r: _pod(r, "Deployment")["containers"][0]["resources"]["limits"].update(
            {"nvidia.com/gpu": "0.5"})),
        {"gpu-limits-required"}),
    "inference on spot": (
        _twin(gpu_inference_example, lambda r: _pod(r, "Deployment")["tolerations"].append(SPOT_TOLERATION)),
        {"spot-for-interruptible-only"}),
    "inference without PDB": (
        _twin(gpu_inference_example, lambda r: _drop(r, ":PodDisruptionBudget")),
        {"gpu-inference-has-pdb"}),
    "inference without GPU quota": (
        _twin(gpu_inference_example, lambda r: _drop(r, ":ResourceQuota")),
        {"gpu-namespace-has-quota"}),
    "inference on a latest image": (
        _twin(gpu_inference_example, lambda r: _pod(r, "Deployment")["containers"][0].update(image="llm-server:latest")),
        {"no-latest-images"}),
    "inference without pool selector": (
        _twin(gpu_inference_example, lambda r: _pod(r, "Deployment").pop("nodeSelector")),
        {"gpu-node-selector-advised"}),
    "training in a preempting class": (
        _twin(training_job_example, lambda r: _find(r, ":PriorityClass")["props"].update(
            preemptionPolicy="PreemptLowerPriority")),
        {"training-does-not-preempt"}),
    "training without priority class": (
        _twin(training_job_example, lambda r: _pod(r, "Job").pop("priorityClassName")),
        {"training-does-not-preempt"}),
    "GPU training without GPU toleration": (
        _twin(training_job_example, lambda r: _pod(r, "Job").update(tolerations=[SPOT_TOLERATION])),
        {"gpu-toleration-required"}),
    "CPU service tolerating GPUs": (
        _twin(cpu_service_example, lambda r: _pod(r, "Deployment").update(tolerations=[GPU_TOLERATION])),
        {"no-gpu-toleration-without-gpu"}),
    "CPU service tolerating everything": (
        _twin(cpu_service_example, lambda r: _pod(r, "Deployment").update(tolerations=[{"operator": "Exists"}])),
        {"no-gpu-toleration-without-gpu", "spot-for-interruptible-only"}),
    "CPU service without requests": (
        _twin(cpu_service_example, lambda r: _pod(r, "Deployment")["containers"][0].pop("resources")),
        {"container-resource-requests"}),
    "GPU pool without taint": (
        _twin(platform_example, lambda r: _find(r, "ManagedNodeGroup", "pools-gpu")["props"].update(taints=[])),
        {"node-group-taints"}),
    "spot pool without taint": (
        _twin(platform_example, lambda r: _find(r, "ManagedNodeGroup", "pools-spot")["props"].update(taints=[])),
        {"node-group-taints"}),
    "GPU operator without tolerations": (
        _twin(platform_example, lambda r: _find(r, "helm.sh/v3:Release")["props"]["values"].pop("daemonsets")),
        {"gpu-helm-release-tolerations"}),
    "public cluster endpoint": (
        _twin(platform_example, lambda r: _find(r, "eks:index:Cluster")["props"].update(endpointPublicAccess=True)),
        {"api-endpoint-not-public"}),
    "unencrypted cluster": (
        _twin(platform_example, lambda r: _find(r, "eks:index:Cluster")["props"].pop("encryptionConfigKeyArn")),
        {"cluster-secrets-encryption"}),
    "launch template with IMDSv1": (
        _twin(platform_example, lambda r: _find(r, "LaunchTemplate")["props"]["metadataOptions"].update(
            httpTokens="optional")),
        {"node-groups-require-imdsv2"}),
}
