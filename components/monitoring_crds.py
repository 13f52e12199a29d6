"""The Prometheus Operator CRDs (ServiceMonitor, PodMonitor, PrometheusRule, ...) on their own, right after the cluster.

Everything that creates monitoring objects (the gpu-operator's DCGM ServiceMonitor, the autoscaler's and
the services' ServiceMonitors, kube-prometheus-stack itself) waits for this release only, never for the
monitoring stack, its Grafana database or RDS. The chart has no pods, so it needs no node. Its CRDs are
templates (Helm upgrades them with the chart, unlike a chart's `crds/` folder) kept on uninstall
(`helm.sh/resource-policy: keep`): removing a CRD would delete every object of its kind.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.helm import chart_release
from domain.versions import CHARTS

CRDS_NAMESPACE = "kube-system"
CRDS_RELEASE = "prometheus-operator-crds"
KEEP_ON_UNINSTALL = {"helm.sh/resource-policy": "keep"}


def prometheus_operator_crds_values() -> dict[str, Any]:
    return {"crds": {"annotations": dict(KEEP_ON_UNINSTALL)}}


class PrometheusOperatorCrds(pulumi.ComponentResource):
    """The pinned prometheus-operator-crds release (the operator version of kube-prometheus-stack's pin).
    `depends_on`: the cluster. Exposes `release`."""

    def __init__(self, name: str, *, protect: bool, depends_on: list[pulumi.Resource],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:observability:PrometheusOperatorCrds", name, None, opts)
        self.release = chart_release(name, CHARTS["prometheus-operator-crds"], CRDS_NAMESPACE,
                                     prometheus_operator_crds_values(),
                                     opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on, protect=protect),
                                     release_name=CRDS_RELEASE)
        self.register_outputs({"release": self.release.name})
