"""Every Helm values key the component sets exists in the pinned chart (a key skeleton derived once from
upstream values.yaml; keys upstream only shows commented out are listed, with the reason, in extra-keys)."""

from __future__ import annotations

import pytest

from components.observability.values import (
    GrafanaSecrets,
    GrafanaSso,
    SecretRef,
    kube_prometheus_stack_values,
)
from stacks.versions import CHARTS

from .chart_keys import ChartKeys, split_path
from .helpers import STACKS, observability

KEYS = ChartKeys.load()
SSO = GrafanaSso(client_id="grafana", client_secret=SecretRef("grafana-oidc-client", "client-secret"),
                 root_url="https://grafana.example.com", issuer_url="https://id.example.com/auth/realms/platform",
                 internal_issuer_url="http://keycloak-http.keycloak.svc/auth/realms/platform")
FULL = GrafanaSecrets(admin=SecretRef("grafana-admin", "admin-password"), sso=SSO, database="grafana-database")


def values(stack: str, secrets: GrafanaSecrets = FULL, grafana_replicas: int = 2):
    settings, obs = observability(stack)
    return kube_prometheus_stack_values(settings, obs, "gp3-encrypted", secrets, grafana_replicas)


def test_skeleton_is_of_the_pinned_chart():
    assert KEYS.chart_version == CHARTS["kube-prometheus-stack"].version
    assert len(KEYS.kinds) > 2000
    for prefix in ("grafana.", "kube-state-metrics.", "prometheus-node-exporter."):
        assert any(path.startswith(prefix) for path in KEYS.kinds), prefix


def test_extra_keys_explain_themselves_and_are_not_upstream_already():
    for path, reason in {**KEYS.commented, **KEYS.free_form}.items():
        assert isinstance(reason, str) and len(reason) > 20, path
    for path in KEYS.commented:
        assert path not in KEYS.kinds, f"{path} is an upstream key; drop it from commented_upstream"
        parent = ".".join(split_path(path)[:-1])
        assert parent in KEYS.kinds or parent in KEYS.commented, f"{path}: its parent is not a chart key"
    for path in KEYS.free_form:
        assert KEYS.is_known(path), f"free-form {path} must itself be a chart key"


@pytest.mark.parametrize("stack", STACKS)
def test_every_key_exists_upstream(stack):
    assert KEYS.problems(values(stack)) == []


@pytest.mark.parametrize("grafana_replicas", [1, 2])
def test_every_key_exists_upstream_without_sso_or_database(grafana_replicas):
    minimal = GrafanaSecrets(admin=SecretRef("grafana-admin", "admin-password"))
    assert KEYS.problems(values("prod", minimal, grafana_replicas)) == []


def test_the_checker_catches_misspelt_keys_and_wrong_types():
    assert KEYS.problems({"grafana": {"replica": 2}}) == [
        "grafana.replica: not a key of kube-prometheus-stack 88.5.3 (or its subcharts)"]
    assert KEYS.problems({"prometheus": {"prometheusSpec": {"retention": {"days": 3}}}}) == [
        "prometheus.prometheusSpec.retention: upstream is a scalar, values set a mapping"]
    assert KEYS.problems({"kube-state-metrics": {"tolerations": {"key": "x"}}}) == [
        "kube-state-metrics.tolerations: upstream is a list, values set a mapping"]
    assert KEYS.problems({"grafana": {"adminPassword": "x", "grafana.ini": {"any": {"thing": 1}}}}) == []
    assert KEYS.problems({"prometheus": {"prometheusSpec": {"nodeSelector": {"node-pool": "monitoring"}}}}) == []
