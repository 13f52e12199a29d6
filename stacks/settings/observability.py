"""Monitoring stack settings: kube-prometheus-stack on the monitoring pool, alert thresholds, the inference SLO.

Sizes left unset (None) take the environment's default from ENVIRONMENT_DEFAULTS: dev is small and
short-lived, prod keeps a month of data on large volumes with two replicas. `for_environment` returns
the settings with every default filled in; components use only that.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from .base import Settings

if TYPE_CHECKING:
    from .platform import PlatformSettings

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# The chart names the PrometheusRule "kube-prometheus-stack-mlplatform-slo-<name>", at most 63 characters.
_SLO_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,24}[a-z0-9])?$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# Pool kinds that must never host the monitoring stack: interruptible or GPU-priced capacity.
_UNSUITABLE_POOL_KINDS = ("gpu", "spot")
PROD_MIN_RETENTION_DAYS = 7

# Per-environment defaults of the fields left unset in config (camelCase, like stack config).
ENVIRONMENT_DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "dev": {
        "prometheus": {"retentionDays": 3, "storageGib": 20, "replicas": 1, "cpu": "250m", "memoryGib": 2},
        "alertmanager": {"replicas": 1, "storageGib": 2},
        "grafana": {"replicas": 1},
    },
    "staging": {
        "prometheus": {"retentionDays": 15, "storageGib": 50, "replicas": 2, "cpu": "500m", "memoryGib": 4},
        "alertmanager": {"replicas": 2, "storageGib": 5},
        "grafana": {"replicas": 1},
    },
    "prod": {
        "prometheus": {"retentionDays": 30, "storageGib": 200, "replicas": 2, "cpu": "1", "memoryGib": 8},
        "alertmanager": {"replicas": 2, "storageGib": 10},
        "grafana": {"replicas": 2},
    },
}


class PrometheusSettings(Settings):
    retention_days: int | None = Field(default=None, ge=1, le=730)
    storage_gib: int | None = Field(default=None, ge=10, le=16384)
    replicas: int | None = Field(default=None, ge=1, le=5)
    cpu: str | None = None  # CPU request, Kubernetes quantity
    memory_gib: int | None = Field(default=None, ge=1, le=512)  # memory request and limit
    scrape_interval_seconds: int = Field(default=30, ge=5, le=300)

    @property
    def retention_size_gb(self) -> int:
        """Size-based retention at 80% of the volume, so the TSDB stops growing before the volume fills."""
        return max(1, int((self.storage_gib or 0) * 0.8))


class AlertmanagerSettings(Settings):
    replicas: int | None = Field(default=None, ge=1, le=5)
    storage_gib: int | None = Field(default=None, ge=1, le=1024)
    retention_hours: int = Field(default=120, ge=1, le=8760)


class GrafanaSettings(Settings):
    # More than one replica needs a shared database (sessions live in Grafana's database); without one
    # the component runs a single replica and says so.
    replicas: int | None = Field(default=None, ge=1, le=5)
    # Keycloak groups (the token's `groups` claim) mapped to Grafana roles; every team's ownersGroup is an
    # editor too; everyone else who can log in is a Viewer.
    admin_groups: list[str] = Field(default_factory=lambda: ["platform-admins"])
    editor_groups: list[str] = Field(default_factory=list)


def _open_percent(value: float) -> float:
    """A percentage strictly between 0 and 100 (pydantic's gt/lt errors carry no fix for the user)."""
    if not 0 < value < 100:
        raise ValueError(f"{value} is not a percentage between 0 and 100 (exclusive). Fix: use a value such as 85.")
    return value


class AlertSettings(Settings):
    gpu_idle_utilization_percent: float = 10
    gpu_idle_minutes: int = Field(default=30, ge=5, le=1440)
    gpu_temperature_celsius: int = Field(default=85, ge=50, le=110)
    gpu_pending_minutes: int = Field(default=10, ge=1, le=1440)
    node_not_ready_minutes: int = Field(default=5, ge=1, le=120)
    crash_loop_minutes: int = Field(default=15, ge=1, le=1440)
    pvc_used_percent: float = 85

    _percentages = field_validator("gpu_idle_utilization_percent", "pvc_used_percent")(_open_percent)


class LatencySloSettings(Settings):
    """An inference latency SLO: `objectivePercent` of requests complete within `thresholdSeconds`.

    `metric` is the base name of a Prometheus histogram the inference servers export (its `_bucket`
    and `_count` series are read); `thresholdSeconds` must be one of its bucket boundaries.
    """

    enabled: bool = True
    name: str = "inference"
    metric: str = "http_request_duration_seconds"
    selector: dict[str, str] = Field(default_factory=lambda: {"namespace": "inference"})
    group_by: list[str] = Field(default_factory=lambda: ["namespace", "job"])
    threshold_seconds: float = 0.5
    objective_percent: float = 99.0

    _objective = field_validator("objective_percent")(_open_percent)

    @field_validator("threshold_seconds")
    @classmethod
    def _positive_threshold(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(f"{value} is not a latency. Fix: use a bucket boundary of the histogram in seconds, e.g. 0.5.")
        return value

    @property
    def error_budget(self) -> float:
        return round(1 - self.objective_percent / 100, 10)


class ObservabilitySettings(Settings):
    pool: str = "monitoring"  # the node pool (of kind monitoring) every monitoring component runs on
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    alertmanager: AlertmanagerSettings = Field(default_factory=AlertmanagerSettings)
    grafana: GrafanaSettings = Field(default_factory=GrafanaSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    inference_slo: LatencySloSettings = Field(default_factory=LatencySloSettings)
    # Namespaces of the MLOps services on the services health dashboard.
    service_namespaces: list[str] = Field(default_factory=lambda: ["keycloak", "mlflow", "zenml", "lakefs"])

    def for_environment(self, environment: str) -> ObservabilitySettings:
        """These settings with every unset size taken from the environment's defaults."""
        defaults = ENVIRONMENT_DEFAULTS[environment]
        updates: dict[str, Any] = {}
        for section, values in defaults.items():
            current: Settings = getattr(self, section)
            fill = {}
            for alias, value in values.items():
                field = _field_name(type(current), alias)
                if getattr(current, field) is None:
                    fill[field] = value
            updates[section] = current.model_copy(update=fill)
        return self.model_copy(update=updates)

    def problems(self, platform: PlatformSettings) -> list[str]:
        """Checks that need the rest of the platform's settings; each names its config key."""
        key = f"{platform.project}:observability"
        effective = self.for_environment(platform.environment)
        problems: list[str] = []
        pool = platform.pool(self.pool)
        if pool is None:
            kinds = [p.name for p in platform.pools if p.kind == "monitoring"]
            problems.append(
                f"{key}.pool: no enabled node pool named '{self.pool}' to run Prometheus, Alertmanager and Grafana on. "
                f"Fix: set observability.pool to an enabled pool of kind 'monitoring' ({kinds or 'add one to nodePools'})."
            )
        elif pool.kind in _UNSUITABLE_POOL_KINDS:
            problems.append(
                f"{key}.pool: pool '{pool.name}' is of kind '{pool.kind}'; monitoring must not run on "
                f"{'interruptible' if pool.kind == 'spot' else 'GPU'} capacity. "
                "Fix: point observability.pool at the pool of kind 'monitoring'."
            )
        prometheus, alertmanager = effective.prometheus, effective.alertmanager
        if platform.is_production:
            for section, replicas in (("prometheus", prometheus.replicas), ("alertmanager", alertmanager.replicas)):
                if (replicas or 0) < 2:
                    problems.append(
                        f"{key}.{section}.replicas: prod runs {section} with {replicas} replica, so one node "
                        f"drain or AZ loss blinds monitoring. Fix: set it to 2 or more (or remove the override)."
                    )
            if (prometheus.retention_days or 0) < PROD_MIN_RETENTION_DAYS:
                problems.append(
                    f"{key}.prometheus.retentionDays: prod keeps {prometheus.retention_days} day(s) of metrics, too "
                    f"little to investigate an incident after a weekend. Fix: set it to {PROD_MIN_RETENTION_DAYS} or more."
                )
            most = max(prometheus.replicas or 1, alertmanager.replicas or 1)
            if pool is not None and pool.max_size < most:
                problems.append(
                    f"{platform.project}:nodePools[{pool.name}].maxSize: the monitoring pool holds at most "
                    f"{pool.max_size} node(s) but {most} replicas should run on separate nodes. "
                    f"Fix: raise maxSize to {most} or more."
                )
        problems += self._slo_problems(f"{key}.inferenceSlo")
        bad_ns = [n for n in self.service_namespaces if not _NAMESPACE.match(n)]
        if bad_ns:
            problems.append(f"{key}.serviceNamespaces: {bad_ns} are not Kubernetes namespace names. "
                            "Fix: use lowercase letters, digits and '-'.")
        return problems

    def _slo_problems(self, key: str) -> list[str]:
        slo = self.inference_slo
        problems: list[str] = []
        if not _SLO_NAME.match(slo.name):
            problems.append(f"{key}.name: '{slo.name}' is not a valid SLO name. "
                            "Fix: use up to 26 lowercase letters, digits and '-', starting with a letter.")
        if not _METRIC_NAME.match(slo.metric):
            problems.append(f"{key}.metric: '{slo.metric}' is not a Prometheus metric name. "
                            "Fix: use the histogram's base name, e.g. http_request_duration_seconds.")
        elif slo.metric.endswith(("_bucket", "_count", "_sum")):
            base = slo.metric.rsplit("_", 1)[0]
            problems.append(f"{key}.metric: '{slo.metric}' is a histogram series, not its base name. "
                            f"Fix: set it to '{base}' (the rules read its _bucket and _count series).")
        bad_labels = [k for k in [*slo.selector, *slo.group_by] if not _LABEL_NAME.match(k) or k.startswith("__")]
        if bad_labels:
            problems.append(f"{key}: {sorted(set(bad_labels))} are not usable label names. "
                            "Fix: use letters, digits and '_' (not starting with '__') in selector and groupBy.")
        if "le" in slo.group_by or "le" in slo.selector:
            problems.append(f"{key}: 'le' is the histogram's bucket label and cannot be grouped or selected on. "
                            "Fix: remove it from selector and groupBy.")
        return problems


def _field_name(model: type[Settings], alias: str) -> str:
    for name, field in model.model_fields.items():
        if field.alias == alias or name == alias:
            return name
    raise KeyError(f"{model.__name__} has no field {alias}")
