"""metrics-server on the system pool: the resource metrics API that CPU and memory HorizontalPodAutoscalers read
(examples/inference.py and examples/preprocessing.py scale on CPU utilisation). EKS does not install it."""

from __future__ import annotations

from typing import Any

import pulumi

from components.availability import zone_spread
from components.helm import chart_release
from domain.settings.node_pools import NodePoolSettings
from domain.versions import CHARTS

METRICS_SERVER_NAMESPACE = "kube-system"
METRICS_SERVER_RELEASE = "metrics-server"
POD_LABELS = {"app.kubernetes.io/name": "metrics-server", "app.kubernetes.io/instance": METRICS_SERVER_RELEASE}


def metrics_server_replicas(system_pool: NodePoolSettings) -> int:
    """Two replicas (so that HPAs keep working through a node drain) once the system pool keeps two nodes."""
    return 2 if system_pool.min_size >= 2 else 1


def metrics_server_values(system_pool: NodePoolSettings) -> dict[str, Any]:
    """Values of the pinned metrics-server chart (every key exists in its values.yaml)."""
    replicas = metrics_server_replicas(system_pool)
    values: dict[str, Any] = {
        **system_pool.placement,
        "replicas": replicas,
        "podDisruptionBudget": {"enabled": replicas > 1, "minAvailable": 1},
        "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "400Mi"}},
    }
    if replicas > 1:
        values["topologySpreadConstraints"] = zone_spread(POD_LABELS)
    return values


class MetricsServer(pulumi.ComponentResource):
    """The pinned metrics-server release in kube-system. Create it after the system pool. Exposes `release`."""

    def __init__(self, name: str, *, system_pool: NodePoolSettings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:cluster:MetricsServer", name, None, opts)
        self.values = metrics_server_values(system_pool)
        self.release = chart_release(name, CHARTS["metrics-server"], METRICS_SERVER_NAMESPACE, self.values,
                                     opts=pulumi.ResourceOptions(parent=self), release_name=METRICS_SERVER_RELEASE)
        self.register_outputs({"release": self.release.name})
