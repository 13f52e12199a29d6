"""The monitoring stack under mocks (stacks.offline.evaluate): placement, storage, HA, dependencies."""

from __future__ import annotations

import json

import pytest

from components.observability.values import DASHBOARD_LABEL, DASHBOARD_LABEL_VALUE
from domain.versions import CHARTS
from tests.conftest import evaluate_stack

from .helpers import STACKS, tolerates

RELEASE = "observability-kube-prometheus-stack"
# Every Deployment/StatefulSet/Job of the chart, by the values path of its pod placement.
ON_MONITORING_POOL = (
    "prometheus.prometheusSpec",
    "alertmanager.alertmanagerSpec",
    "prometheusOperator",
    "prometheusOperator.admissionWebhooks.patch",
    "prometheusOperator.admissionWebhooks.deployment",
    "kube-state-metrics",
    "grafana",
)
EXPECTED = {  # environment -> (prometheus retention, size, replicas, alertmanager replicas)
    "dev": ("3d", "20Gi", 1, 1),
    "staging": ("15d", "50Gi", 2, 2),
    "prod": ("30d", "200Gi", 2, 2),
}


def dig(values, path):
    for part in path.split("."):
        values = values[part]
    return values


@pytest.fixture(params=STACKS)
def stack(request):
    return request.param


def release(stack):
    return evaluate_stack(stack).named(RELEASE)


def test_release_is_the_pinned_chart_in_the_monitoring_namespace(stack):
    inputs = release(stack).inputs
    pin = CHARTS["kube-prometheus-stack"]
    assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]["repo"]) == (pin.chart, "88.5.3", pin.repository)
    assert inputs["namespace"] == "monitoring" and inputs["name"] == "kube-prometheus-stack"
    assert inputs["atomic"] is True


def test_every_component_runs_on_the_monitoring_pool(stack):
    evaluation = evaluate_stack(stack)
    pool = evaluation.settings.pool(evaluation.settings.observability.pool)
    assert pool.kind == "monitoring"
    values = release(stack).inputs["values"]
    for path in ON_MONITORING_POOL:
        placement = dig(values, path)
        assert placement["nodeSelector"] == pool.node_selector == {"node-pool": "monitoring"}, path
        assert placement["tolerations"] == pool.tolerations, path
        for taint in pool.taints:
            assert tolerates(placement["tolerations"], taint.model_dump()), path
        others = [p for p in evaluation.settings.pools if p.name != pool.name]
        for other in others:  # and only there: no toleration of another pool's taint
            for taint in other.taints:
                assert not tolerates(placement["tolerations"], taint.model_dump()), (path, other.name)


def test_placement_follows_the_pool_spec_not_constants():
    evaluation = evaluate_stack("dev", {"nodePools": [{"name": "monitoring", "enabled": False},
                                                      {"name": "observe", "kind": "monitoring", "minSize": 1,
                                                       "maxSize": 2, "labels": {"team": "sre"},
                                                       "taints": [{"key": "dedicated", "value": "observe"}]}],
                                        "observability": {"pool": "observe"}})
    values = evaluation.named(RELEASE).inputs["values"]
    for path in ON_MONITORING_POOL:
        assert dig(values, path)["nodeSelector"] == {"node-pool": "observe"}
        assert dig(values, path)["tolerations"] == [
            {"key": "dedicated", "operator": "Equal", "value": "observe", "effect": "NoSchedule"}]


def test_node_exporter_tolerates_every_taint(stack):
    evaluation = evaluate_stack(stack)
    tolerations = release(stack).inputs["values"]["prometheus-node-exporter"]["tolerations"]
    taints = [t.model_dump() for p in evaluation.settings.node_pools for t in p.taints]
    taints += [{"key": "node.kubernetes.io/not-ready", "value": "", "effect": "NoExecute"},
               {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"},
               {"key": "spot", "value": "true", "effect": "NoSchedule"}]
    assert {t["key"] for t in taints} >= {"nvidia.com/gpu", "spot", "CriticalAddonsOnly", "dedicated"}
    for taint in taints:
        assert tolerates(tolerations, taint), taint
    assert release(stack).inputs["values"]["prometheus-node-exporter"]["priorityClassName"] == "system-node-critical"
    assert "nodeSelector" not in release(stack).inputs["values"]["prometheus-node-exporter"], \
        "node-exporter keeps the chart's linux-only selector and nothing narrower"


def test_prometheus_and_alertmanager_keep_data_on_encrypted_gp3(stack):
    spec = release(stack).inputs["values"]
    retention, size, prom_replicas, am_replicas = EXPECTED[evaluate_stack(stack).settings.environment]
    prom = spec["prometheus"]["prometheusSpec"]
    claim = prom["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted"
    assert claim["resources"]["requests"]["storage"] == size
    assert prom["retention"] == retention and prom["replicas"] == prom_replicas
    size_gb = int(size.removesuffix("Gi"))
    assert int(prom["retentionSize"].removesuffix("GB")) < size_gb, "size-based retention below the volume size"
    am = spec["alertmanager"]["alertmanagerSpec"]
    assert am["storage"]["volumeClaimTemplate"]["spec"]["storageClassName"] == "gp3-encrypted"
    assert am["replicas"] == am_replicas


def test_storage_class_is_the_default_encrypted_gp3():
    evaluation = evaluate_stack("dev")
    classes = evaluation.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    gp3 = next(c for c in classes if c.inputs["metadata"]["name"] == "gp3-encrypted")
    assert gp3.inputs["parameters"] == {"type": "gp3", "encrypted": "true", "fsType": "ext4"}


def test_prod_is_highly_available():
    values = release("prod").inputs["values"]
    for section, spec, label in (("prometheus", "prometheusSpec", "prometheus"),
                                 ("alertmanager", "alertmanagerSpec", "alertmanager")):
        assert values[section][spec]["replicas"] == 2
        assert values[section]["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
        (spread,) = values[section][spec]["topologySpreadConstraints"]
        assert spread["topologyKey"] == "topology.kubernetes.io/zone"
        assert spread["labelSelector"]["matchLabels"]["app.kubernetes.io/name"] == label


def test_dev_runs_single_replicas_without_disruption_budgets():
    values = release("dev").inputs["values"]
    assert values["prometheus"]["podDisruptionBudget"]["enabled"] is False
    assert values["alertmanager"]["podDisruptionBudget"]["enabled"] is False
    assert "topologySpreadConstraints" not in values["prometheus"]["prometheusSpec"]
    assert "podDisruptionBudget" not in values["grafana"]


def test_every_monitor_and_rule_in_the_cluster_is_selected(stack):
    spec = release(stack).inputs["values"]["prometheus"]["prometheusSpec"]
    for kind in ("serviceMonitor", "podMonitor", "rule", "probe"):
        assert spec[f"{kind}SelectorNilUsesHelmValues"] is False, kind


def test_kube_state_metrics_exports_the_pool_label_of_nodes(stack):
    allowlist = release(stack).inputs["values"]["kube-state-metrics"]["metricLabelsAllowlist"]
    nodes = [entry for entry in allowlist if entry.startswith("nodes=[")]
    assert nodes and "node-pool" in nodes[0].removeprefix("nodes=[").removesuffix("]").split(",")


def test_monitoring_namespace_is_privileged_for_node_exporter(stack):
    namespaces = [r for r in evaluate_stack(stack).of_type("kubernetes:core/v1:Namespace")
                  if r.inputs["metadata"]["name"] == "monitoring"]
    assert len(namespaces) == 1
    assert namespaces[0].inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_api_server_can_reach_the_operator_webhook():
    policies = evaluate_stack("dev").of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    webhook = next(p for p in policies if p.inputs["metadata"]["name"] == "allow-operator-webhook")
    assert webhook.inputs["metadata"]["namespace"] == "monitoring"
    rule = webhook.inputs["spec"]["ingress"][0]
    assert rule["from"] == [] and rule["ports"] == [{"port": 10250.0, "protocol": "TCP"}]
    assert webhook.inputs["spec"]["podSelector"]["matchLabels"]["app"] == "kube-prometheus-stack-operator"


def test_release_waits_for_the_monitoring_pool_the_storage_class_and_its_secrets(stack):
    evaluation = evaluate_stack(stack)
    by_urn = evaluation.by_urn()
    deps = {by_urn[urn].name for urn in evaluation.named(RELEASE).all_dependencies}
    zones = {f"pools-monitoring-az{i + 1}" for i in range(evaluation.settings.network.az_count)}
    assert {*zones, "pools-system", "storage-gp3", "observability-namespace", "observability-grafana-admin"} <= deps


def test_monitoring_crds_come_from_their_own_release_which_everything_monitored_waits_for():
    evaluation = evaluate_stack("dev")
    by_urn = evaluation.by_urn()
    ours = evaluation.named(RELEASE)
    assert ours.inputs["values"]["crds"] == {"enabled": False}
    (crds,) = [r for r in evaluation.of_type("kubernetes:helm.sh/v3:Release") if r.name == "monitoring-crds"]
    assert crds.inputs["version"] == CHARTS["prometheus-operator-crds"].version
    # The CRDs are the operator version kube-prometheus-stack ships (both charts' appVersion).
    assert CHARTS["prometheus-operator-crds"].app_version == CHARTS["kube-prometheus-stack"].app_version
    assert crds.inputs["values"]["crds"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    others = [r for r in evaluation.of_type("kubernetes:helm.sh/v3:Release") if r.urn != ours.urn]
    gpu_operator = [r for r in others if r.inputs.get("chart") == "gpu-operator"]
    assert gpu_operator, "the dev stack has a GPU pool, so the gpu-operator is installed"
    for r in [ours, *gpu_operator]:
        assert crds.urn in r.all_dependencies, [by_urn[u].name for u in r.all_dependencies]
        assert ours.urn not in r.all_dependencies
    monitors = [r for r in evaluation.resources if r.inputs.get("apiVersion", "").startswith("monitoring.coreos.com/")]
    assert monitors and all(crds.urn in r.all_dependencies for r in monitors)


def test_dashboards_are_config_maps_the_grafana_sidecar_picks_up(stack):
    evaluation = evaluate_stack(stack)
    values = release(stack).inputs["values"]["grafana"]["sidecar"]["dashboards"]
    maps = [r for r in evaluation.of_type("kubernetes:core/v1:ConfigMap")
            if r.inputs["metadata"].get("labels", {}).get(DASHBOARD_LABEL) == DASHBOARD_LABEL_VALUE]
    assert len(maps) == 4
    assert (values["label"], values["labelValue"]) == (DASHBOARD_LABEL, DASHBOARD_LABEL_VALUE)
    for cm in maps:
        assert cm.inputs["metadata"]["namespace"] == "monitoring"
        (document,) = cm.inputs["data"].values()
        assert json.loads(document)["uid"].startswith("mlp-")
