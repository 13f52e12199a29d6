"""observability settings: environment defaults, and problems that name their config key and the fix."""

from __future__ import annotations

import pytest

from domain.settings import SettingsError
from domain.settings.environments import DEFAULTS
from domain.settings.observability import ObservabilitySettings

from .helpers import STACKS, observability, stack_settings


def problems_of(stack: str, **config) -> list[str]:
    with pytest.raises(SettingsError) as err:
        stack_settings(stack, **config)
    return err.value.problems


@pytest.mark.parametrize("stack", STACKS)
def test_environment_defaults_fill_every_size(stack):
    _, obs = observability(stack)
    for section, defaults in DEFAULTS[stack]["observability"].items():
        resolved = getattr(obs, section)
        for alias in defaults:
            assert resolved.model_dump(by_alias=True)[alias] == defaults[alias], (section, alias)


def test_dev_is_small_and_short_prod_long_and_large():
    _, dev = observability("dev")
    _, prod = observability("prod")
    assert dev.prometheus.retention_days < prod.prometheus.retention_days
    assert dev.prometheus.storage_gib < prod.prometheus.storage_gib
    assert (dev.prometheus.replicas, prod.prometheus.replicas) == (1, 2)
    assert (dev.alertmanager.replicas, prod.alertmanager.replicas) == (1, 2)
    assert prod.grafana.replicas == 2


def test_config_overrides_the_environment():
    _, obs = observability("prod", observability={"prometheus": {"retentionDays": 90, "storageGib": 500}})
    assert (obs.prometheus.retention_days, obs.prometheus.storage_gib, obs.prometheus.replicas) == (90, 500, 2)
    assert obs.prometheus.retention_size_gb == 400


def test_defaults_are_valid_for_every_stack():
    for stack in STACKS:
        settings = stack_settings(stack)
        assert settings.observability.problems(settings) == []
        assert settings.pool(settings.observability.pool).kind == "monitoring"


def test_pool_must_exist():
    problems = problems_of("dev", observability={"pool": "observe"})
    assert any(p.startswith("mlplatform:observability.pool: no enabled node pool named 'observe'") and "Fix:" in p
               for p in problems), problems


def test_disabled_monitoring_pool_is_reported():
    problems = problems_of("dev", nodePools=[{"name": "monitoring", "enabled": False}])
    assert any(p.startswith("mlplatform:observability.pool:") for p in problems), problems


@pytest.mark.parametrize("pool", ["gpu", "spot"])
def test_monitoring_never_runs_on_gpu_or_spot_capacity(pool):
    problems = problems_of("dev", observability={"pool": pool})
    assert any(p.startswith("mlplatform:observability.pool: pool") and "Fix:" in p for p in problems), problems


def test_prod_needs_replicated_prometheus_and_alertmanager_and_enough_retention():
    problems = problems_of("prod", observability={"prometheus": {"replicas": 1, "retentionDays": 2},
                                                  "alertmanager": {"replicas": 1}})
    keys = {p.split(": ", 1)[0] for p in problems}
    assert {"mlplatform:observability.prometheus.replicas", "mlplatform:observability.alertmanager.replicas",
            "mlplatform:observability.prometheus.retentionDays"} <= keys
    assert all("Fix:" in p for p in problems)
    # dev may run single replicas and keep data briefly
    stack_settings("dev", observability={"prometheus": {"replicas": 1, "retentionDays": 1}})


def test_prod_monitoring_pool_must_hold_the_replicas():
    problems = problems_of("prod", nodePools=[{"name": "monitoring", "minSize": 1, "maxSize": 1}])
    assert any(p.startswith("mlplatform:nodePools[monitoring].maxSize:") for p in problems), problems


def test_field_limits_name_the_config_key():
    problems = problems_of("dev", observability={"prometheus": {"retentionDays": 0, "storageGib": 5}})
    assert any(p.startswith("mlplatform:observability.prometheus.retentionDays:") for p in problems), problems
    assert any(p.startswith("mlplatform:observability.prometheus.storageGib:") for p in problems), problems
    problems = problems_of("dev", observability={"prometheus": {"retention": "30d"}})
    assert any(p.startswith("mlplatform:observability.prometheus.retention:") and "unknown key" in p
               for p in problems), problems


@pytest.mark.parametrize(("slo", "key"), [
    ({"metric": "http_request_duration_seconds_bucket"}, "mlplatform:observability.inferenceSlo.metric"),
    ({"metric": "latency-ms"}, "mlplatform:observability.inferenceSlo.metric"),
    ({"name": "Inference SLO"}, "mlplatform:observability.inferenceSlo.name"),
    ({"groupBy": ["le"]}, "mlplatform:observability.inferenceSlo"),
    ({"selector": {"app-name": "x"}}, "mlplatform:observability.inferenceSlo"),
    ({"objectivePercent": 100}, "mlplatform:observability.inferenceSlo.objectivePercent"),
    ({"thresholdSeconds": 0}, "mlplatform:observability.inferenceSlo.thresholdSeconds"),
])
def test_slo_settings_are_checked(slo, key):
    problems = problems_of("dev", observability={"inferenceSlo": slo})
    assert any(p.startswith(key + ":") and "Fix:" in p for p in problems), problems


def test_service_namespaces_must_be_namespace_names():
    problems = problems_of("dev", observability={"serviceNamespaces": ["MLflow"]})
    assert any(p.startswith("mlplatform:observability.serviceNamespaces:") for p in problems), problems


def test_settings_are_camel_case_and_closed():
    obs = ObservabilitySettings.model_validate({"alerts": {"gpuIdleUtilizationPercent": 5}})
    assert obs.alerts.gpu_idle_utilization_percent == 5
    with pytest.raises(ValueError):
        ObservabilitySettings.model_validate({"alerts": {"gpuIdle": 5}})
