"""Observability: kube-prometheus-stack on the monitoring pool, GPU dashboards and alerts as code."""

from .component import Observability

__all__ = ["Observability"]
