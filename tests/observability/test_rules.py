"""PrometheusRules: the alerts the issue asks for, each with a runbook, thresholds and the SLO from settings."""

from __future__ import annotations

import re

import pytest

from components.observability.rules import SLO_BURN_ALERTS, all_rules, prometheus_rules

from .helpers import STACKS, observability

DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
REQUIRED_ALERTS = {
    "GpuAllocatedButIdle", "GpuXidHardwareError", "GpuXidError", "GpuTemperatureHigh", "GpuPodPendingTooLong",
    "PlatformNodeNotReady", "PlatformPodCrashLooping", "PersistentVolumeClaimAlmostFull", "InferenceLatencyBudgetBurn",
}


def rules_of(stack: str, **observability_config):
    _, obs = observability(stack, **({"observability": observability_config} if observability_config else {}))
    return obs, all_rules(prometheus_rules(obs))


def alert(rules, name):
    matches = [r for r in rules if r.get("alert") == name]
    assert matches, f"no alert {name}"
    return matches[0]


@pytest.mark.parametrize("stack", STACKS)
def test_required_alerts_exist_with_severity_and_runbook(stack):
    _, rules = rules_of(stack)
    alerts = [r for r in rules if "alert" in r]
    assert {a["alert"] for a in alerts} >= REQUIRED_ALERTS
    for a in alerts:
        assert a["labels"]["severity"] in ("critical", "warning", "info"), a["alert"]
        annotations = a["annotations"]
        assert annotations["summary"] and annotations["description"], a["alert"]
        runbook = annotations.get("runbook", "")
        assert len(runbook.splitlines()) >= 2 and runbook.lstrip().startswith("1."), \
            f"{a['alert']}: the runbook annotation must give numbered steps"
        if "runbook_url" in annotations:
            assert annotations["runbook_url"].startswith("https://"), a["alert"]
        assert DURATION.match(a["for"]), f"{a['alert']}: for={a['for']!r}"


@pytest.mark.parametrize("stack", STACKS)
def test_rule_names_are_valid_and_alerts_unique(stack):
    _, rules = rules_of(stack)
    for rule in rules:
        assert ("alert" in rule) != ("record" in rule), rule
        if "record" in rule:
            assert METRIC_NAME.match(rule["record"]), rule["record"]
    keys = [(r["alert"], tuple(sorted(r["labels"].items()))) for r in rules if "alert" in r]
    assert len(keys) == len(set(keys)), "two alerts with the same name and labels"


def test_rule_map_entries_are_prometheus_rule_specs():
    _, obs = observability("prod", observability={"inferenceSlo": {"name": "a" * 26}})
    for name, spec in prometheus_rules(obs).items():
        assert re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name), name
        assert len(f"kube-prometheus-stack-{name}") <= 63, f"the chart would truncate the PrometheusRule name {name}"
        assert set(spec) == {"groups"}
        for group in spec["groups"]:
            assert group["name"] and group["rules"]


def test_gpu_alert_thresholds_follow_the_settings():
    _, default = rules_of("dev")
    assert alert(default, "GpuAllocatedButIdle")["expr"].endswith("< 10")
    assert alert(default, "GpuAllocatedButIdle")["for"] == "30m"
    assert alert(default, "GpuPodPendingTooLong")["for"] == "10m"
    assert alert(default, "PersistentVolumeClaimAlmostFull")["expr"].endswith("> 0.85")
    _, custom = rules_of("dev", alerts={"gpuIdleUtilizationPercent": 5, "gpuIdleMinutes": 60,
                                        "gpuTemperatureCelsius": 80, "gpuPendingMinutes": 20,
                                        "pvcUsedPercent": 90})
    assert alert(custom, "GpuAllocatedButIdle")["expr"].endswith("< 5")
    assert alert(custom, "GpuAllocatedButIdle")["for"] == "60m"
    assert alert(custom, "GpuTemperatureHigh")["expr"].endswith("> 80")
    assert alert(custom, "GpuPodPendingTooLong")["for"] == "20m"
    assert alert(custom, "PersistentVolumeClaimAlmostFull")["expr"].endswith("> 0.9")


def test_the_issue_s_signals_are_what_the_alerts_read():
    _, rules = rules_of("dev")
    assert "DCGM_FI_DEV_XID_ERRORS" in alert(rules, "GpuXidError")["expr"]
    xid_record = next(r for r in rules if r.get("record") == "mlplatform:gpu_last_xid:info")
    assert "DCGM_FI_DEV_XID_ERRORS" in xid_record["expr"]
    temp_record = next(r for r in rules if r.get("record") == "mlplatform:gpu_temperature:celsius")
    assert "DCGM_FI_DEV_GPU_TEMP" in temp_record["expr"]
    assert 'resource="nvidia_com_gpu"' in alert(rules, "GpuPodPendingTooLong")["expr"]
    assert 'phase="Pending"' in alert(rules, "GpuPodPendingTooLong")["expr"]
    assert 'condition="Ready"' in alert(rules, "PlatformNodeNotReady")["expr"]
    assert "CrashLoopBackOff" in alert(rules, "PlatformPodCrashLooping")["expr"]
    assert "kubelet_volume_stats_used_bytes" in alert(rules, "PersistentVolumeClaimAlmostFull")["expr"]


def test_gpu_series_carry_node_pool_and_workload_labels():
    _, rules = rules_of("dev")
    util = next(r for r in rules if r.get("record") == "mlplatform:gpu_utilization:percent")["expr"]
    # The pool comes from kube-state-metrics' node labels (allow-listed in the chart values).
    pool = next(r for r in rules if r.get("record") == "mlplatform:node_pool:info")["expr"]
    assert "kube_node_labels" in pool and "label_node_pool" in pool
    for label in ("node", "pool", "workload_namespace", "workload_pod"):
        assert label in util
    assert "exported_namespace" in util, "DCGM's pod mapping arrives as exported_* (honorLabels: false)"


def test_slo_is_templated_from_settings_with_multi_window_burn_rates():
    _, rules = rules_of("prod", inferenceSlo={"name": "llm", "metric": "vllm:e2e_request_latency_seconds",
                                              "selector": {"namespace": "llm"}, "thresholdSeconds": 1,
                                              "objectivePercent": 99.9})
    records = {r["record"]: r for r in rules if "record" in r}
    ratio = records["slo:latency_sli_error:ratio_rate1h"]
    assert ratio["labels"] == {"slo": "llm"}
    assert 'vllm:e2e_request_latency_seconds_bucket{namespace="llm", le="1.0"}[1h]' in ratio["expr"]
    assert "vllm:e2e_request_latency_seconds_count" in ratio["expr"]
    assert "histogram_quantile(0.99" in records["slo:latency_p99:seconds_rate5m"]["expr"]
    assert records["slo:latency_objective:ratio"]["expr"] == "vector(0.999)"
    burns = [r for r in rules if r.get("alert") == "InferenceLatencyBudgetBurn"]
    assert len(burns) == len(SLO_BURN_ALERTS)
    for rule, (severity, burn, long_window, short_window, _) in zip(burns, SLO_BURN_ALERTS, strict=True):
        threshold = float(f"{burn * 0.001:.6g}")
        assert rule["labels"]["severity"] == severity
        assert f"ratio_rate{long_window}{{slo=\"llm\"}} > {threshold:g}" in rule["expr"]
        assert f"ratio_rate{short_window}{{slo=\"llm\"}} > {threshold:g}" in rule["expr"]


def test_slo_can_be_switched_off():
    _, obs = observability("dev", observability={"inferenceSlo": {"enabled": False}})
    assert not any(name.startswith("mlplatform-slo") for name in prometheus_rules(obs))
