"""KEDA add-on: pinned chart values against the chart's key skeleton, the operator's role, the platform wiring."""

from __future__ import annotations

import json

import pytest

from components.keda import SCALER_ROLE_PATH, keda_operator_policy, keda_values
from domain.versions import CHARTS
from tests.chart_keys import problems
from tests.gpu.helpers import settings


@pytest.mark.parametrize("replicas", [1, 2])
def test_values_are_chart_keys_and_run_on_the_system_pool(replicas):
    platform = settings("dev")
    values = keda_values(platform.system_pool, role_arn="arn:aws:iam::123456789012:role/keda", replicas=replicas)
    assert problems("keda", values) == []
    assert values["nodeSelector"] == {"node-pool": "system"}
    assert values["tolerations"] == platform.system_pool.tolerations
    assert values["podIdentity"]["aws"]["irsa"] == {"enabled": True, "roleArn": "arn:aws:iam::123456789012:role/keda"}
    for part in ("operator", "metricServer", "webhooks"):
        assert values["prometheus"][part]["serviceMonitor"]["enabled"] is True
        assert values["podDisruptionBudget"][part] == ({"minAvailable": 1} if replicas == 2 else {})


def test_operator_may_only_assume_scaler_roles():
    doc = json.loads(keda_operator_policy("123456789012", "us-west-2"))
    (statement,) = doc["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Resource"] == f"arn:aws:iam::123456789012:role{SCALER_ROLE_PATH}*"
    assert json.loads(keda_operator_policy("123456789012", "cn-north-1"))["Statement"][0]["Resource"].startswith(
        "arn:aws-cn:")


def test_pinned_exactly():
    pin = CHARTS["keda"]
    assert pin.version == "2.20.2" and pin.repository == "https://kedacore.github.io/charts"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_stack_installs_keda_on_the_system_pool(stack):
    from stacks.offline import evaluate

    ev = evaluate(stack)
    (release,) = [r for r in ev.of_type("kubernetes:helm.sh/v3:Release") if r.inputs.get("chart") == "keda"]
    assert release.inputs["version"] == CHARTS["keda"].version and release.inputs["namespace"] == "keda"
    values = release.inputs["values"]
    assert values["nodeSelector"] == {"node-pool": "system"}
    assert values["operator"]["replicaCount"] == (2 if stack == "prod" else 1)
    role_arn = values["podIdentity"]["aws"]["irsa"]["roleArn"]
    assert ev.outputs["kedaOperatorRoleArn"] == role_arn
    # Its ServiceMonitors need the monitoring CRDs: the release waits for them, not for kube-prometheus-stack.
    crds = next(r for r in ev.of_type("kubernetes:helm.sh/v3:Release") if r.inputs.get("chart") == "prometheus-operator-crds")
    monitoring = next(r for r in ev.of_type("kubernetes:helm.sh/v3:Release")
                      if r.inputs.get("chart") == "kube-prometheus-stack")
    assert crds.urn in release.all_dependencies and monitoring.urn not in release.all_dependencies


def test_keda_may_query_prometheus_across_the_monitoring_default_deny():
    from components.keda import prometheus_access_spec

    spec = prometheus_access_spec("keda")
    assert spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}
    assert spec["ingress"] == [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}}],
                                "ports": [{"port": 9090, "protocol": "TCP"}]}]
