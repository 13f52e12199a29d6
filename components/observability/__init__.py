"""Observability: kube-prometheus-stack on the monitoring pool, GPU dashboards and alerts as code."""

from .component import Observability
from .values import MonitoringScope

__all__ = ["MonitoringScope", "Observability"]
