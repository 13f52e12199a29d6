"""Monitoring stack settings: kube-prometheus-stack on the monitoring pool, alert thresholds, the inference SLO.

Sizes and replicas default per environment (environments.py, merged in before validation): dev is small
and short-lived, prod keeps a month of data on large volumes with two replicas.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Literal, Protocol

from pydantic import Field, field_validator

from domain.services import SERVICES

from .base import Settings, check_pattern
from .node_pools import NodePoolSettings
from .services import IngressSettings, ServicesSettings

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# The chart names the PrometheusRule "kube-prometheus-stack-mlplatform-slo-<name>", at most 63 characters.
_SLO_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,24}[a-z0-9])?$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# Pool kinds that must never host the monitoring stack: interruptible or GPU-priced capacity.
_UNSUITABLE_POOL_KINDS = ("gpu", "spot")
PROD_MIN_RETENTION_DAYS = 7
# The namespace of the monitoring stack (kube-prometheus-stack): every scraped namespace admits it.
MONITORING_NAMESPACE = "monitoring"


class ObservabilityPlatform(Protocol):
    """What the monitoring checks read of the platform (PlatformSettings is one)."""

    @property
    def project(self) -> str: ...
    @property
    def is_production(self) -> bool: ...
    @property
    def pools(self) -> list[NodePoolSettings]: ...
    @property
    def services(self) -> ServicesSettings: ...
    @property
    def secret_config_keys(self) -> frozenset[str] | None: ...
    @property
    def settings_keys(self) -> Collection[str]: ...
    def pool(self, name: str) -> NodePoolSettings | None: ...

class PrometheusSettings(Settings):
    retention_days: int = Field(default=30, ge=1, le=730, description="Days of metrics kept; prod keeps 7 or more.")
    storage_gib: int = Field(default=200, ge=10, le=16384, description="Encrypted gp3 volume per replica; retention by size stops at 80 % of it.")
    replicas: int = Field(default=2, ge=1, le=5, description="Prometheus replicas; prod needs 2.")
    cpu: str = Field(default="1", description="CPU request (Kubernetes quantity).")
    memory_gib: int = Field(default=8, ge=1, le=512, description="Memory request and limit.")
    scrape_interval_seconds: int = Field(default=30, ge=5, le=300, description="Default scrape interval.")

    @property
    def retention_size_gb(self) -> int:
        """Size-based retention at 80% of the volume, so the TSDB stops growing before the volume fills."""
        return max(1, int(self.storage_gib * 0.8))


class AlertmanagerSettings(Settings):
    replicas: int = Field(default=2, ge=1, le=5, description="Alertmanager replicas (a gossip cluster); prod needs 2.")
    storage_gib: int = Field(default=10, ge=1, le=1024, description="Volume per replica for silences and notification state.")
    retention_hours: int = Field(default=120, ge=1, le=8760, description="How long silences and notification state are kept.")


class GrafanaSettings(Settings):
    replicas: int = Field(default=2, ge=1, le=5, description="Grafana replicas; more than one needs the postgres database; prod needs 2.")
    database: Literal["postgres", "sqlite"] = Field(default="postgres", description="postgres: a grafana database on the services' PostgreSQL (shared sessions, HA); sqlite: a per-pod file, one replica (also the fallback when the stack has no PostgreSQL).")
    ingress: IngressSettings = Field(default_factory=IngressSettings, description="ALB Ingress for Grafana (HTTPS, ACM certificate).")
    admin_groups: list[str] = Field(default_factory=lambda: ["platform-admins"], description="Keycloak groups that are Grafana admins.")
    editor_groups: list[str] = Field(default_factory=list, description="Keycloak groups that are Grafana editors (every team's ownersGroup is one too).")


SEVERITIES = ("critical", "warning", "info")
Severity = Literal["critical", "warning", "info"]
NULL_RECEIVER = "null"  # the chart's receiver that drops what it gets
# Default routing by receiver type: pagers get critical alerts, chat-like receivers critical and warning.
PAGER_TYPES = ("pagerduty",)
CHAT_TYPES = ("slack", "email", "webhook")
# What each receiver type reads from its secret config key, and which plain fields it takes.
SECRET_PURPOSE = {"slack": "the Slack incoming-webhook URL", "pagerduty": "the PagerDuty Events API v2 routing key",
                  "webhook": "the webhook URL", "email": "the SMTP password"}
TYPE_FIELDS = {"slack": ("channel",), "pagerduty": (), "webhook": (),
               "email": ("to", "from_", "smarthost", "auth_username")}
_RECEIVER_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_CONFIG_KEY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")
_DURATION = re.compile(r"^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$")
_MATCHER = re.compile(r'^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*("[^"]*"|[^"\s]*)\s*$')
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_SMARTHOST = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")
_CHANNEL = re.compile(r"^[#@][^\s]{1,80}$")


def _duration(value: str) -> str:
    """An Alertmanager duration such as 30s, 5m, 4h or 1h30m (not zero)."""
    if not value or not _DURATION.match(value) or not re.search(r"[1-9]", value):
        raise ValueError(f"'{value}' is not an Alertmanager duration. Fix: use a value such as 30s, 5m or 4h.")
    return value


class ReceiverSettings(Settings):
    """Where Alertmanager sends notifications. Secrets (webhook URL, routing key, SMTP password) are never
    settings: `secretKey` names a secret config key, `pulumi config set --secret mlplatform:<secretKey> ...`."""

    name: str = Field(description="Receiver name that routes refer to.")
    type: Literal["slack", "pagerduty", "email", "webhook"] = Field(description="slack, pagerduty, email or webhook.")
    secret_key: str = Field(default="", description="Name of the secret config key holding the webhook URL, routing key or SMTP password.")
    channel: str = Field(default="", description="slack: channel or user, e.g. #ml-alerts (empty: the webhook's own).")
    to: list[str] = Field(default_factory=list, description="email: recipients.")
    from_: str = Field(default="", alias="from", description="email: sender address.")
    smarthost: str = Field(default="", description="email: SMTP server host:port (STARTTLS required).")
    auth_username: str = Field(default="", description="email: SMTP user (its password is the secret).")
    send_resolved: bool = Field(default=True, description="Also notify when an alert resolves.")

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if value == NULL_RECEIVER or not _RECEIVER_NAME.match(value):
            raise ValueError(f"'{value}' is not a usable receiver name. Fix: use lowercase letters, digits and '-' "
                             f"(not '{NULL_RECEIVER}', the built-in receiver that drops alerts), e.g. oncall-pager.")
        return value

    @field_validator("secret_key")
    @classmethod
    def _valid_secret_key(cls, value: str) -> str:
        if value and not _CONFIG_KEY_NAME.match(value):
            hint = value.split(":", 1)[-1]
            raise ValueError(f"'{value}' is not a config key name. Fix: give the key without the mlplatform: prefix, "
                             f"letters, digits, '_' and '-' only, e.g. {hint if _CONFIG_KEY_NAME.match(hint) else 'alertingSlackWebhook'}.")
        return value

    @field_validator("channel")
    @classmethod
    def _valid_channel(cls, value: str) -> str:
        return check_pattern(value, _CHANNEL, "a Slack channel", "use #channel or @user, e.g. #ml-alerts.")

    @field_validator("to")
    @classmethod
    def _valid_recipients(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if not _EMAIL.match(a)]
        if bad:
            raise ValueError(f"{bad} are not e-mail addresses. Fix: list one address per entry, e.g. oncall@example.com.")
        return value

    @field_validator("from_")
    @classmethod
    def _valid_sender(cls, value: str) -> str:
        return check_pattern(value, _EMAIL, "an e-mail address", "use the sender address, e.g. alertmanager@example.com.")

    @field_validator("smarthost")
    @classmethod
    def _valid_smarthost(cls, value: str) -> str:
        return check_pattern(value, _SMARTHOST, "host:port", "use the SMTP server with its port, e.g. smtp.example.com:587.")


_TYPED_FIELDS = sorted({f for fields in TYPE_FIELDS.values() for f in fields})


class AlertRouteSettings(Settings):
    """A route under the root: alerts of `severities` (all when empty) matching `matchers` go to `receiver`."""

    receiver: str = Field(description="Receiver the matching alerts go to.")
    severities: list[Severity] = Field(default_factory=list, description="Severities routed (critical, warning, info); empty: all.")
    matchers: list[str] = Field(default_factory=list, description="Extra Alertmanager matchers, e.g. namespace=~\"ml-.*\".")
    continue_: bool = Field(default=True, alias="continue", description="Let later routes see the alert too (a critical alert pages and reaches chat).")
    repeat_interval: str = Field(default="", description="Resend interval of this route; empty: the tree's repeatInterval.")

    @field_validator("matchers")
    @classmethod
    def _valid_matchers(cls, value: list[str]) -> list[str]:
        bad = [m for m in value if not _MATCHER.match(m)]
        if bad:
            raise ValueError(f"{bad} are not Alertmanager matchers. Fix: use label=\"value\", label!=\"value\", "
                             "label=~\"regex\" or label!~\"regex\", e.g. namespace=~\"ml-.*\".")
        return value

    @field_validator("repeat_interval")
    @classmethod
    def _valid_repeat(cls, value: str) -> str:
        return _duration(value) if value else value


class AlertingSettings(Settings):
    """Alertmanager receivers and routing. With no receivers every alert goes to the `null` receiver."""

    receivers: list[ReceiverSettings] = Field(default_factory=list, description="Where alerts go; none: every alert goes to the null receiver.")
    routes: list[AlertRouteSettings] = Field(default_factory=list, description="Routes under the root; empty: critical to pagerduty receivers, critical and warning to the others.")
    watchdog_receiver: str = Field(default="", description="Receiver of the always-firing Watchdog alert (a dead man's switch); empty: null.")
    group_by: list[str] = Field(default_factory=lambda: ["alertname", "namespace"], description="Labels alerts are grouped by into one notification.")
    group_wait: str = Field(default="30s", description="Wait before the first notification of a new group.")
    group_interval: str = Field(default="5m", description="Wait before notifying about new alerts in a group.")
    repeat_interval: str = Field(default="4h", description="Wait before resending a notification that is still firing.")

    _durations = field_validator("group_wait", "group_interval", "repeat_interval")(_duration)

    @field_validator("group_by")
    @classmethod
    def _valid_group_by(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v != "..." and not _LABEL_NAME.match(v)]
        if bad:
            raise ValueError(f"{bad} are not label names. Fix: use label names such as alertname and namespace.")
        return value

    def effective_routes(self) -> list[AlertRouteSettings]:
        """The configured routes, or the default ones derived from the receivers' types."""
        if self.routes:
            return list(self.routes)
        routes = [AlertRouteSettings(receiver=r.name, severities=["critical"])
                  for r in self.receivers if r.type in PAGER_TYPES]
        routes += [AlertRouteSettings(receiver=r.name, severities=["critical", "warning"])
                   for r in self.receivers if r.type in CHAT_TYPES]
        return routes

    @property
    def secret_keys(self) -> set[str]:
        """The secret config keys (without the project prefix) the receivers read."""
        return {r.secret_key for r in self.receivers if r.secret_key}

    def problems(self, key: str, platform: ObservabilityPlatform) -> list[str]:
        problems: list[str] = []
        names = [r.name for r in self.receivers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.append(f"{key}.receivers: duplicate receiver names {dupes}. Fix: give every receiver a unique name.")
        settings_keys = platform.settings_keys
        known_secrets = platform.secret_config_keys
        for r in self.receivers:
            at = f"{key}.receivers[{r.name}]"
            purpose = SECRET_PURPOSE[r.type]
            if r.type != "email" and not r.secret_key:
                problems.append(
                    f"{at}.secretKey: a {r.type} receiver needs {purpose}, which is a secret. Fix: set secretKey to "
                    f"the name of a secret config key and store it with "
                    f"`pulumi config set --secret {platform.project}:<secretKey> <value>`.")
            misplaced = [f for f in _TYPED_FIELDS if f not in TYPE_FIELDS[r.type] and getattr(r, f)]
            if misplaced:
                aliases = sorted(ReceiverSettings.model_fields[f].alias or f for f in misplaced)
                problems.append(f"{at}: {aliases} do not apply to a {r.type} receiver. Fix: remove them, or change type.")
            if r.type == "email":
                missing = [alias for field, alias in (("to", "to"), ("from_", "from"), ("smarthost", "smarthost"))
                           if not getattr(r, field)]
                if missing:
                    problems.append(f"{at}: an email receiver needs {missing}. Fix: set to (recipients), from "
                                    "(sender address) and smarthost (SMTP host:port).")
                if bool(r.auth_username) != bool(r.secret_key):
                    problems.append(
                        f"{at}: SMTP authentication needs both authUsername and secretKey (the password's secret "
                        "config key). Fix: set both, or neither for a relay that needs no login.")
            if r.secret_key in settings_keys:
                problems.append(f"{at}.secretKey: '{r.secret_key}' is a settings key of {platform.project}, not a "
                                f"secret. Fix: name a key of its own, e.g. alerting{r.name.title().replace('-', '')}.")
            elif r.secret_key and known_secrets is not None and r.secret_key not in known_secrets:
                problems.append(
                    f"{at}.secretKey: secret config {platform.project}:{r.secret_key} ({purpose}) is not set. "
                    f"Fix: `pulumi config set --secret {platform.project}:{r.secret_key} <value>`.")
        targets = set(names) | {NULL_RECEIVER}
        for i, route in enumerate(self.routes):
            if route.receiver not in targets:
                problems.append(f"{key}.routes[{i}].receiver: '{route.receiver}' is not a receiver. "
                                f"Fix: use one of {sorted(targets)}, or add a receiver of that name.")
        if self.watchdog_receiver and self.watchdog_receiver not in targets:
            problems.append(f"{key}.watchdogReceiver: '{self.watchdog_receiver}' is not a receiver. "
                            f"Fix: use one of {sorted(targets)}, or leave it empty.")
        routed = {r.receiver for r in self.effective_routes()} | {self.watchdog_receiver}
        unused = [n for n in names if n not in routed]
        if unused:
            problems.append(f"{key}.receivers: {unused} receive no alerts: no route sends to them. "
                            "Fix: add routes to them (observability.alerting.routes), or remove them.")
        return problems


def _open_percent(value: float) -> float:
    """A percentage strictly between 0 and 100 (pydantic's gt/lt errors carry no fix for the user)."""
    if not 0 < value < 100:
        raise ValueError(f"{value} is not a percentage between 0 and 100 (exclusive). Fix: use a value such as 85.")
    return value


class AlertSettings(Settings):
    gpu_idle_utilization_percent: float = Field(default=10, description="A GPU held by a pod below this utilisation counts as idle.")
    gpu_idle_minutes: int = Field(default=30, ge=5, le=1440, description="Minutes of idleness before the GPU-idle alert fires.")
    gpu_temperature_celsius: int = Field(default=85, ge=50, le=110, description="GPU temperature alert threshold.")
    gpu_pending_minutes: int = Field(default=10, ge=1, le=1440, description="Minutes a GPU pod may stay Pending before alerting.")
    node_not_ready_minutes: int = Field(default=5, ge=1, le=120, description="Minutes a node may be NotReady before alerting.")
    crash_loop_minutes: int = Field(default=15, ge=1, le=1440, description="Minutes a container may crash-loop before alerting.")
    pvc_used_percent: float = Field(default=85, description="Volume usage alert threshold.")

    _percentages = field_validator("gpu_idle_utilization_percent", "pvc_used_percent")(_open_percent)


class LatencySloSettings(Settings):
    """An inference latency SLO: `objectivePercent` of requests complete within `thresholdSeconds`.

    `metric` is the base name of a Prometheus histogram the inference servers export (its `_bucket`
    and `_count` series are read); `thresholdSeconds` must be one of its bucket boundaries.
    """

    enabled: bool = Field(default=True, description="Generate the SLO's recording rules and burn-rate alerts.")
    name: str = Field(default="inference", description="SLO name, part of its rule and alert names.")
    metric: str = Field(default="http_request_duration_seconds", description="Base name of the latency histogram the inference servers export.")
    selector: dict[str, str] = Field(default_factory=lambda: {"namespace": "inference"}, description="Label matchers selecting the SLO's series.")
    group_by: list[str] = Field(default_factory=lambda: ["namespace", "job"], description="Labels the SLO is computed and alerted per.")
    threshold_seconds: float = Field(default=0.5, description="Latency target; must be a bucket boundary of the histogram.")
    objective_percent: float = Field(default=99.0, description="Share of requests that must complete within thresholdSeconds.")

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
    pool: str = Field(default="monitoring", description="Node pool (of kind monitoring) every monitoring component runs on.")
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings, description="Prometheus size and retention.")
    alertmanager: AlertmanagerSettings = Field(default_factory=AlertmanagerSettings, description="Alertmanager size and retention.")
    grafana: GrafanaSettings = Field(default_factory=GrafanaSettings, description="Grafana replicas, database, ingress and SSO groups.")
    alerts: AlertSettings = Field(default_factory=AlertSettings, description="Alert thresholds.")
    alerting: AlertingSettings = Field(default_factory=AlertingSettings, description="Alert receivers and routing.")
    inference_slo: LatencySloSettings = Field(default_factory=LatencySloSettings, description="The inference latency SLO (multi-window burn-rate alerts).")
    service_namespaces: list[str] = Field(default_factory=lambda: [s.namespace for s in SERVICES], description="Namespaces on the MLOps services dashboard.")

    def problems(self, platform: ObservabilityPlatform) -> list[str]:
        """Checks that need the rest of the platform's settings; each names its config key."""
        key = f"{platform.project}:observability"
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
        elif not pool.per_az:
            problems.append(
                f"{platform.project}:nodePools[{pool.name}].perAz: Prometheus and Alertmanager keep zonal EBS volumes on "
                f"pool '{pool.name}', which is one node group across every AZ: a replaced node can come back in another "
                "AZ and leave them Pending. Fix: set perAz to true (a node group per AZ, the default of kind monitoring).")
        prometheus, alertmanager = self.prometheus, self.alertmanager
        if platform.is_production:
            for section, replicas in (("prometheus", prometheus.replicas), ("alertmanager", alertmanager.replicas)):
                if replicas < 2:
                    problems.append(
                        f"{key}.{section}.replicas: prod runs {section} with {replicas} replica, so one node "
                        f"drain or AZ loss blinds monitoring. Fix: set it to 2 or more (or remove the override)."
                    )
            if prometheus.retention_days < PROD_MIN_RETENTION_DAYS:
                problems.append(
                    f"{key}.prometheus.retentionDays: prod keeps {prometheus.retention_days} day(s) of metrics, too "
                    f"little to investigate an incident after a weekend. Fix: set it to {PROD_MIN_RETENTION_DAYS} or more."
                )
            most = max(prometheus.replicas, alertmanager.replicas)
            if pool is not None and pool.max_size < most:
                problems.append(
                    f"{platform.project}:nodePools[{pool.name}].maxSize: the monitoring pool holds at most "
                    f"{pool.max_size} node(s) but {most} replicas should run on separate nodes. "
                    f"Fix: raise maxSize to {most} or more."
                )
        problems += self._grafana_problems(f"{key}.grafana", platform)
        problems += self.alerting.problems(f"{key}.alerting", platform)
        problems += self._slo_problems(f"{key}.inferenceSlo")
        bad_ns = [n for n in self.service_namespaces if not _NAMESPACE.match(n)]
        if bad_ns:
            problems.append(f"{key}.serviceNamespaces: {bad_ns} are not Kubernetes namespace names. "
                            "Fix: use lowercase letters, digits and '-'.")
        return problems

    def _grafana_problems(self, key: str, platform: ObservabilityPlatform) -> list[str]:
        grafana = self.grafana
        problems: list[str] = []
        if platform.is_production:
            if grafana.replicas < 2:
                problems.append(
                    f"{key}.replicas: prod runs Grafana with {grafana.replicas} replica, so a node drain logs every "
                    "user out and takes dashboards down. Fix: set it to 2 or more (or remove the override).")
            if grafana.database == "sqlite":
                problems.append(
                    f"{key}.database: prod keeps Grafana's state in a per-pod SQLite file, which allows one replica "
                    "only. Fix: remove the override (postgres, the services' PostgreSQL instance, is the default).")
        ingress = grafana.ingress
        if not ingress.enabled:
            return problems
        if ingress.scheme == "internet-facing" and not ingress.allowed_cidrs and platform.is_production:
            problems.append(f"{key}.ingress.allowedCidrs: prod's internet-facing Grafana ingress is open to 0.0.0.0/0. "
                            "Fix: list the CIDRs allowed to reach it, or use scheme: internal.")
        services = platform.services
        for name in services.enabled_services:
            if services.service(name).ingress.enabled and services.service(name).ingress.host == ingress.host:
                problems.append(f"{key}.ingress.host: '{ingress.host}' is also the host of {name}. "
                                "Fix: give Grafana a host name of its own.")
        url = services.keycloak.grafana_url
        if services.keycloak.enabled and url and url.split("/")[2] != ingress.host:
            problems.append(
                f"{platform.project}:services.keycloak.grafanaUrl: '{url}' is not on Grafana's ingress host "
                f"'{ingress.host}', so Keycloak would redirect logins elsewhere. Fix: remove grafanaUrl (the ingress "
                f"URL {ingress.url} is used) or make them agree.")
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

