"""GPU inference: a Triton model server on the GPU pool, at inference-high priority.

What makes it a good citizen of the platform:
- `limits: {nvidia.com/gpu: "1"}` (the request follows the limit), the GPU toleration, and
  `nodeSelector: {node-pool: gpu}`, so it lands on (and scales up) the intended GPU pool only;
- `priorityClassName: inference-high`: when the GPU pool is at maxSize, serving preempts training
  (only namespaces with `allowInferenceHigh` may use the class);
- startup, readiness and liveness probes on Triton's health endpoints (model loading takes minutes);
- a PodDisruptionBudget (maxUnavailable 1): node drains and autoscaler scale-downs move one replica at a
  time, and never the last ready one;
- a HorizontalPodAutoscaler (2..4 replicas; `spec.replicas` is left to it). It uses CPU utilisation,
  which needs metrics-server; with prometheus-adapter, scale on Triton's queue time instead.
"""

from __future__ import annotations

from typing import Any

from examples.conventions import (
    GPU_POOL,
    GPU_RESOURCE,
    GPU_TOLERATION,
    INFERENCE_HIGH,
    SERVING_NAMESPACE,
    container_security_context,
    on_pool,
    pod_security_context,
    zone_spread,
)
from examples.manifests import Manifest

TRITON_IMAGE = "nvcr.io/nvidia/tritonserver:25.01-py3"
HTTP, GRPC, METRICS = 8000, 8001, 8002


def labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "inference"}


def deployment(name: str = "llm-server", namespace: str = SERVING_NAMESPACE, *, image: str = TRITON_IMAGE,
               model_repository: str = "s3://ml-serving-models/triton", gpus: int = 1, pool: str = GPU_POOL,
               cpu: str = "2", memory: str = "10Gi") -> Manifest:
    pod_labels = labels(name)
    container: dict[str, Any] = {
        "name": "triton",
        "image": image,
        "args": ["tritonserver", f"--model-repository={model_repository}", "--strict-readiness=true",
                 "--exit-on-error=true"],
        "ports": [{"name": "http", "containerPort": HTTP}, {"name": "grpc", "containerPort": GRPC},
                  {"name": "metrics", "containerPort": METRICS}],
        "resources": {"requests": {"cpu": cpu, "memory": memory},
                      "limits": {"memory": memory, GPU_RESOURCE: str(gpus)}},
        # Model loading can take minutes: the startup probe holds liveness off for up to 10 minutes.
        "startupProbe": {"httpGet": {"path": "/v2/health/live", "port": "http"}, "periodSeconds": 10,
                         "failureThreshold": 60},
        "readinessProbe": {"httpGet": {"path": "/v2/health/ready", "port": "http"}, "periodSeconds": 10,
                           "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": "/v2/health/live", "port": "http"}, "periodSeconds": 15,
                          "failureThreshold": 3},
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}, {"name": "tmp", "mountPath": "/tmp"}],
    }
    return Manifest("Deployment", name, {
        "metadata": {"name": name, "namespace": namespace, "labels": pod_labels},
        "spec": {
            "selector": {"matchLabels": pod_labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "serviceAccountName": name,
                    "automountServiceAccountToken": False,
                    "priorityClassName": INFERENCE_HIGH,
                    "nodeSelector": on_pool(pool),
                    "tolerations": [GPU_TOLERATION],
                    "topologySpreadConstraints": zone_spread(pod_labels),
                    "terminationGracePeriodSeconds": 60,
                    "securityContext": pod_security_context(),
                    "containers": [container],
                    "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
                },
            },
        },
    })


def service_account(name: str = "llm-server", namespace: str = SERVING_NAMESPACE,
                     role_arn: str | None = None) -> Manifest:
    """The server's identity; `role_arn`: an IRSA role that can read the model bucket."""
    annotations = {"eks.amazonaws.com/role-arn": role_arn} if role_arn else {}
    return Manifest("ServiceAccount", name, {"metadata": {"name": name, "namespace": namespace,
                                                         "labels": labels(name), "annotations": annotations}})


def service(name: str = "llm-server", namespace: str = SERVING_NAMESPACE) -> Manifest:
    return Manifest("Service", name, {
        "metadata": {"name": name, "namespace": namespace, "labels": labels(name)},
        "spec": {"selector": labels(name), "ports": [
            {"name": "http", "port": HTTP, "targetPort": "http"},
            {"name": "grpc", "port": GRPC, "targetPort": "grpc"},
            {"name": "metrics", "port": METRICS, "targetPort": "metrics"},
        ]},
    })


def pdb(name: str = "llm-server", namespace: str = SERVING_NAMESPACE) -> Manifest:
    return Manifest("PodDisruptionBudget", name, {
        "metadata": {"name": name, "namespace": namespace, "labels": labels(name)},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels(name)}},
    })


def hpa(name: str = "llm-server", namespace: str = SERVING_NAMESPACE, *, min_replicas: int = 2,
        max_replicas: int = 4) -> Manifest:
    return Manifest("HorizontalPodAutoscaler", name, {
        "metadata": {"name": name, "namespace": namespace, "labels": labels(name)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                          "target": {"type": "Utilization", "averageUtilization": 70}}}],
            # A new GPU replica may need a new node (minutes): scale up one at a time, scale down slowly.
            "behavior": {
                "scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]},
                "scaleDown": {"stabilizationWindowSeconds": 600},
            },
        },
    })


def manifests(name: str = "llm-server", namespace: str = SERVING_NAMESPACE, **kwargs: Any) -> list[Manifest]:
    return [service_account(name, namespace), deployment(name, namespace, **kwargs), service(name, namespace),
            pdb(name, namespace), hpa(name, namespace)]

