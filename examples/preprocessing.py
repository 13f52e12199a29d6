"""A CPU FastAPI preprocessing service on the on-demand CPU pool.

No GPU and no GPU toleration (it must never occupy a GPU node), no spot toleration (it serves
traffic), the default `batch-default` priority written out, probes on /healthz and /readyz,
2..10 replicas with a PDB, and a read-only root filesystem.
"""

from __future__ import annotations

from typing import Any

from examples.conventions import (
    BATCH_DEFAULT,
    CPU_POOL,
    RESEARCH_NAMESPACE,
    container_security_context,
    on_pool,
    pod_security_context,
    zone_spread,
)
from examples.manifests import Manifest

PREPROCESS_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/ml-research/feature-preprocess:2.3.1"
PORT = 8080


def labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "preprocessing"}


def deployment(name: str = "feature-preprocess", namespace: str = RESEARCH_NAMESPACE, *,
               image: str = PREPROCESS_IMAGE, pool: str = CPU_POOL) -> Manifest:
    pod_labels = labels(name)
    return Manifest("Deployment", name, {
        "metadata": {"name": name, "namespace": namespace, "labels": pod_labels},
        "spec": {
            "selector": {"matchLabels": pod_labels},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "priorityClassName": BATCH_DEFAULT,
                    "nodeSelector": on_pool(pool),
                    "automountServiceAccountToken": False,
                    "topologySpreadConstraints": zone_spread(pod_labels),
                    "securityContext": pod_security_context(),
                    "containers": [{
                        "name": "api",
                        "image": image,
                        "command": ["uvicorn", "preprocess.app:app", "--host", "0.0.0.0", "--port", str(PORT),
                                    "--workers", "2"],
                        "ports": [{"name": "http", "containerPort": PORT}],
                        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "512Mi"}},
                        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5},
                        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10,
                                          "failureThreshold": 3},
                        "securityContext": container_security_context(),
                        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                    }],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
                },
            },
        },
    })


def service(name: str = "feature-preprocess", namespace: str = RESEARCH_NAMESPACE) -> Manifest:
    return Manifest("Service", name, {
        "metadata": {"name": name, "namespace": namespace, "labels": labels(name)},
        "spec": {"selector": labels(name), "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    })


def pdb(name: str = "feature-preprocess", namespace: str = RESEARCH_NAMESPACE) -> Manifest:
    return Manifest("PodDisruptionBudget", name, {
        "metadata": {"name": name, "namespace": namespace, "labels": labels(name)},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels(name)}},
    })


def hpa(name: str = "feature-preprocess", namespace: str = RESEARCH_NAMESPACE) -> Manifest:
    return Manifest("HorizontalPodAutoscaler", name, {
        "metadata": {"name": name, "namespace": namespace, "labels": labels(name)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                          "target": {"type": "Utilization", "averageUtilization": 70}}}],
        },
    })


def manifests(name: str = "feature-preprocess", namespace: str = RESEARCH_NAMESPACE, **kwargs: Any) -> list[Manifest]:
    return [deployment(name, namespace, **kwargs), service(name, namespace), pdb(name, namespace), hpa(name, namespace)]

