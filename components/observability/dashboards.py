"""Grafana dashboards as code: JSON files in `dashboards/`, provisioned by Grafana's dashboard sidecar."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from domain.settings.observability import ObservabilitySettings

DASHBOARD_DIR = Path(__file__).resolve().parent / "dashboards"
FOLDER = "ML Platform"
SERVICES_DASHBOARD = "mlops-services"


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARD_DIR.glob("*.json"))


def load_dashboard(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _set_custom_variable(dashboard: dict[str, Any], name: str, values: list[str]) -> None:
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("name") == name and variable.get("type") == "custom":
            variable["query"] = ",".join(values)
            return
    raise KeyError(f"dashboard {dashboard.get('uid')} has no custom variable {name!r}")


def dashboards(obs: ObservabilitySettings) -> dict[str, dict[str, Any]]:
    """Every dashboard by file stem, with the settings applied (the services' namespaces)."""
    result: dict[str, dict[str, Any]] = {}
    for path in dashboard_files():
        dashboard = copy.deepcopy(load_dashboard(path))
        if path.stem == SERVICES_DASHBOARD:
            _set_custom_variable(dashboard, "namespace", list(obs.service_namespaces))
        result[path.stem] = dashboard
    return result
