"""Dashboards are valid Grafana JSON with uid, title and panels whose targets query Prometheus."""

from __future__ import annotations

import json

import pytest

from components.observability.dashboards import dashboard_files, dashboards
from domain.settings.observability import ObservabilitySettings

from .helpers import panels

FILES = dashboard_files()


def test_there_are_dashboards_for_gpus_pools_and_services():
    stems = {f.stem for f in FILES}
    assert {"gpu-utilisation", "node-pools", "mlops-services", "inference-slo"} <= stems


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_dashboard_is_valid_json_with_uid_title_and_panels(path):
    dashboard = json.loads(path.read_text())
    assert isinstance(dashboard.get("uid"), str) and 0 < len(dashboard["uid"]) <= 40
    assert dashboard.get("title", "").startswith("ML Platform / ")
    assert "id" not in dashboard or dashboard["id"] is None, "a provisioned dashboard must not carry a database id"
    assert dashboard.get("schemaVersion", 0) >= 36
    assert dashboard.get("editable") is False, "dashboards are code: edit the JSON, not the UI"
    assert dashboard["panels"], "no panels"
    data_panels = [p for p in panels(dashboard) if p["type"] != "row"]
    assert data_panels
    for panel in data_panels:
        assert panel.get("title"), f"panel {panel.get('id')} has no title"
        assert panel.get("targets"), f"panel '{panel['title']}' has no targets"
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        for target in panel["targets"]:
            assert target.get("expr", "").strip(), f"panel '{panel['title']}' has an empty query"
            assert target.get("refId"), panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_panel_ids_and_ref_ids_are_unique(path):
    dashboard = json.loads(path.read_text())
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        refs = [t["refId"] for t in panel.get("targets", [])]
        assert len(refs) == len(set(refs)), panel["title"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_dashboard_picks_its_prometheus_through_a_datasource_variable(path):
    variables = json.loads(path.read_text())["templating"]["list"]
    datasource = [v for v in variables if v["name"] == "datasource"]
    assert datasource and datasource[0]["type"] == "datasource" and datasource[0]["query"] == "prometheus"
    # kube-prometheus-stack provisions its Prometheus data source with uid "prometheus".
    assert datasource[0]["current"]["value"] == "prometheus"


def test_uids_and_titles_are_unique():
    loaded = [json.loads(f.read_text()) for f in FILES]
    assert len({d["uid"] for d in loaded}) == len(loaded)
    assert len({d["title"] for d in loaded}) == len(loaded)


def test_services_dashboard_lists_the_configured_namespaces():
    obs = ObservabilitySettings.model_validate({"serviceNamespaces": ["keycloak", "mlflow", "feast"]})
    services = dashboards(obs)["mlops-services"]
    variable = next(v for v in services["templating"]["list"] if v["name"] == "namespace")
    assert variable["query"] == "keycloak,mlflow,feast"
    queries = " ".join(t["expr"] for p in panels(services) for t in p.get("targets", []))
    for metric in ("up", "kube_deployment_status_replicas_available", "kube_statefulset_status_replicas_ready"):
        assert metric in queries


def test_gpu_dashboard_shows_utilisation_and_memory_per_node_pool_and_namespace():
    gpu = dashboards(ObservabilitySettings())["gpu-utilisation"]
    queries = {p["title"]: " ".join(t["expr"] for t in p["targets"]) for p in panels(gpu) if p["type"] != "row"}
    for level, label in (("node", "node"), ("pool", "pool"), ("namespace", "workload_namespace")):
        assert f"avg by ({label}) (mlplatform:gpu_utilization:percent" in queries[f"GPU utilisation per {level}"]
        assert f"sum by ({label}) (mlplatform:gpu_memory_used:bytes" in queries[f"GPU memory used per {level}"]
    assert any("DCGM_FI_DEV_GPU_UTIL" in q for q in queries.values())
