"""Every Helm values key the component sets exists in the pinned chart (the key skeleton of
tests/fixtures/charts/kube-prometheus-stack.keys.json, derived from upstream values.yaml with its subcharts;
keys upstream only shows commented out are its extra keys, each with the reason)."""

from __future__ import annotations

import pytest

from components.observability.values import (
    GrafanaSecrets,
    GrafanaSso,
    MonitoringScope,
    SecretRef,
    kube_prometheus_stack_values,
)
from tests.chart_keys import problems, skeleton

from .helpers import STACKS, observability

CHART = "kube-prometheus-stack"
SSO = GrafanaSso(client_id="grafana", client_secret=SecretRef("grafana-oidc-client", "client-secret"),
                 root_url="https://grafana.example.com", issuer_url="https://id.example.com/auth/realms/platform",
                 internal_issuer_url="http://keycloak-http.keycloak.svc/auth/realms/platform")
FULL = GrafanaSecrets(admin=SecretRef("grafana-admin", "admin-password"), sso=SSO, database="grafana-database")


def values(stack: str, secrets: GrafanaSecrets = FULL, grafana_replicas: int = 2):
    settings, obs = observability(stack)
    return kube_prometheus_stack_values(MonitoringScope.of(settings), obs, "gp3-encrypted", secrets, grafana_replicas)


def test_skeleton_holds_the_subcharts():
    """Version pin and the extra keys' reasons: tests/test_chart_keys.py (every chart)."""
    keys = skeleton(CHART).keys
    assert len(keys) > 2000
    for prefix in ("grafana", "kube-state-metrics", "prometheus-node-exporter"):
        assert prefix in skeleton(CHART).subcharts, prefix
        assert any(path.startswith(prefix + ".") for path in keys), prefix


@pytest.mark.parametrize("stack", STACKS)
def test_every_key_exists_upstream(stack):
    assert problems(CHART, values(stack)) == []


@pytest.mark.parametrize("grafana_replicas", [1, 2])
def test_every_key_exists_upstream_without_sso_or_database(grafana_replicas):
    minimal = GrafanaSecrets(admin=SecretRef("grafana-admin", "admin-password"))
    assert problems(CHART, values("prod", minimal, grafana_replicas)) == []


def test_the_checker_catches_misspelt_keys_and_wrong_types():
    assert problems(CHART, {"grafana": {"replica": 2}}) == [
        "grafana.replica: not a key of kube-prometheus-stack 88.5.3"]
    assert problems(CHART, {"prometheus": {"prometheusSpec": {"retention": {"days": 3}}}}) == [
        "prometheus.prometheusSpec.retention: map, but the chart's default is a string"]
    assert problems(CHART, {"kube-state-metrics": {"tolerations": {"key": "x"}}}) == [
        "kube-state-metrics.tolerations: map, but the chart's default is a list"]
    assert problems(CHART, {"grafana": {"adminPassword": "x", "grafana.ini": {"any": {"thing": 1}}}}) == []
    assert problems(CHART, {"prometheus": {"prometheusSpec": {"nodeSelector": {"node-pool": "monitoring"}}}}) == []
