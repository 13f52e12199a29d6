"""Observability: kube-prometheus-stack on the monitoring pool, GPU dashboards and alerts as code."""

from .component import MONITORING_NAMESPACE, Observability

__all__ = ["MONITORING_NAMESPACE", "Observability"]
