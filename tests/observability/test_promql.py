"""Every PromQL expression of the dashboards and rules parses (promql_parser, Prometheus' grammar) and reads
only metrics that an exporter of the platform exports, or that our own recording rules record."""

from __future__ import annotations

import pytest

from .helpers import STACKS, dashboard_expressions, observability, recorded_names, rule_expressions
from .metric_catalog import CATALOG, known_metrics
from .promql import metric_names, parse, substitute_grafana_variables

CUSTOM_SLO = {"observability": {"inferenceSlo": {
    "name": "llm-chat", "metric": "vllm:e2e_request_latency_seconds",
    "selector": {"namespace": "llm", "model_name": 'say "hi"'}, "groupBy": ["namespace", "model_name"],
    "thresholdSeconds": 2, "objectivePercent": 99.5}}}


def expressions(stack: str, **config):
    _, obs = observability(stack, **config)
    return obs, [*dashboard_expressions(obs), *rule_expressions(obs)]


@pytest.mark.parametrize("stack", STACKS)
def test_every_expression_parses(stack):
    _, exprs = expressions(stack)
    assert len(exprs) > 50
    failures = []
    for where, expr in exprs:
        try:
            parse(substitute_grafana_variables(expr))
        except ValueError as err:
            failures.append(f"{where}: {err}\n    {expr}")
    assert not failures, "\n".join(failures)


def test_templated_slo_rules_parse_with_other_settings():
    _, exprs = expressions("prod", **CUSTOM_SLO)
    slo = [(w, e) for w, e in exprs if "vllm:e2e_request_latency_seconds" in e]
    assert slo
    for _, expr in slo:
        parse(expr)
    assert any('le="2.0"' in e for _, e in slo), "threshold must match the bucket label as Prometheus 3 stores it"
    assert any('model_name="say \\"hi\\""' in e for _, e in slo), "selector values are escaped"


def test_grafana_variables_are_substituted_before_parsing():
    expr = 'sum by (pool) (rate(container_cpu_usage_seconds_total{node=~"$node", pool=~"${pool}"}[$__rate_interval]))'
    with pytest.raises(ValueError):
        parse(expr)
    parse(substitute_grafana_variables(expr))


def test_metric_names_come_from_the_ast():
    expr = ('sum(rate(a_total{x="b_total"}[5m])) / on (n) group_left () max by (n) ({__name__="c"}) '
            '+ histogram_quantile(0.9, sum by (le) (rate(d_bucket[5m]))) + label_replace(e, "l", "$1", "m", "(.*)")')
    assert metric_names(expr) == {"a_total", "c", "d_bucket", "e"}
    with pytest.raises(ValueError, match="without a fixed metric name"):
        metric_names('{__name__=~"DCGM_.*"}')


def test_catalogue_cites_a_source_for_every_exporter():
    for exporter, entry in CATALOG.items():
        assert entry["source"] and entry["metrics"], exporter


@pytest.mark.parametrize("stack", STACKS)
def test_every_metric_is_exported_or_recorded(stack):
    obs, exprs = expressions(stack)
    known = known_metrics()
    recorded = recorded_names(obs)
    slo = obs.inference_slo
    configured = {f"{slo.metric}_bucket", f"{slo.metric}_count"}  # the inference servers' histogram (settings)
    unknown = []
    for where, expr in exprs:
        for name in metric_names(substitute_grafana_variables(expr)):
            if name not in known and name not in recorded and name not in configured:
                unknown.append(f"{where}: {name}")
    assert not unknown, "metrics no exporter of the platform produces:\n" + "\n".join(unknown)


@pytest.mark.parametrize("stack", STACKS)
def test_recording_rules_read_exporter_metrics_and_every_recorded_series_is_used(stack):
    obs, exprs = expressions(stack)
    recorded = recorded_names(obs)
    used = set()
    for where, expr in exprs:
        if where.startswith("rule ") and where.removeprefix("rule ") in recorded:
            continue
        used |= metric_names(substitute_grafana_variables(expr))
    assert recorded - used == set(), "recorded but never read by a dashboard or an alert"


def test_dashboards_read_dcgm_kube_state_metrics_node_exporter_kubelet_and_prometheus():
    _, obs = observability("dev")
    read = set()
    for _, expr in [*dashboard_expressions(obs), *rule_expressions(obs)]:
        read |= metric_names(substitute_grafana_variables(expr))
    exporters = {known_metrics().get(name) for name in read}
    assert {"dcgm-exporter", "kube-state-metrics", "node-exporter", "kubelet", "cadvisor", "prometheus"} <= exporters
