"""Alertmanager routing and receivers, as a pure function of `observability.alerting` (no Pulumi).

Secrets never appear here. Each receiver that needs one (Slack webhook URL, PagerDuty routing key,
webhook URL, SMTP password) reads it from a file: the component puts the value (a Pulumi secret read
from the stack's secret config) under the receiver's name in the Secret `alertmanager-receivers`,
which the Alertmanager pods mount at /etc/alertmanager/secrets/alertmanager-receivers/
(`alertmanager.alertmanagerSpec.secrets`). The config only carries the file paths.

The chart renders `alertmanager.config` with toYaml (tplConfig is false), so the Go templates below
reach Alertmanager unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.settings.observability import (
    NULL_RECEIVER,
    SEVERITIES,
    AlertingSettings,
    AlertRouteSettings,
    ReceiverSettings,
)

RECEIVER_SECRET = "alertmanager-receivers"
SECRETS_DIR = "/etc/alertmanager/secrets"  # where the operator mounts alertmanagerSpec.secrets

# Heartbeat cadence of the always-firing Watchdog alert when it goes to a dead man's switch.
WATCHDOG_TIMING = {"group_wait": "0s", "group_interval": "1m", "repeat_interval": "5m"}

SLACK_TITLE = ('[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] '
               '{{ .CommonLabels.alertname }}{{ if .CommonLabels.namespace }} in {{ .CommonLabels.namespace }}{{ end }}')
SLACK_TEXT = ('{{ range .Alerts }}*{{ .Labels.severity }}*: {{ .Annotations.summary }}\n'
              '{{ .Annotations.description }}{{ if .Annotations.runbook_url }}\n'
              'Runbook: {{ .Annotations.runbook_url }}{{ end }}\n{{ end }}')
# PagerDuty Events v2 severities are critical, error, warning, info: ours map one to one.
PAGERDUTY_SEVERITY = ('{{ if eq .CommonLabels.severity "warning" }}warning'
                      '{{ else if eq .CommonLabels.severity "info" }}info{{ else }}critical{{ end }}')


def secret_file(receiver: str) -> str:
    """Path of a receiver's secret inside the Alertmanager pods."""
    return f"{SECRETS_DIR}/{RECEIVER_SECRET}/{receiver}"


def receiver_secrets(alerting: AlertingSettings) -> dict[str, str]:
    """Receiver name (the key in the Secret) -> the secret config key holding its value."""
    return {r.name: r.secret_key for r in alerting.receivers if r.secret_key}


def receiver_config(receiver: ReceiverSettings) -> dict[str, Any]:
    """One entry of the Alertmanager `receivers` list."""
    path = secret_file(receiver.name)
    resolved = receiver.send_resolved
    if receiver.type == "slack":
        slack: dict[str, Any] = {"api_url_file": path, "send_resolved": resolved,
                                 "title": SLACK_TITLE, "text": SLACK_TEXT}
        if receiver.channel:
            slack["channel"] = receiver.channel
        return {"name": receiver.name, "slack_configs": [slack]}
    if receiver.type == "pagerduty":
        return {"name": receiver.name, "pagerduty_configs": [
            {"routing_key_file": path, "send_resolved": resolved, "severity": PAGERDUTY_SEVERITY}]}
    if receiver.type == "webhook":
        return {"name": receiver.name, "webhook_configs": [{"url_file": path, "send_resolved": resolved}]}
    email: dict[str, Any] = {"to": ", ".join(receiver.to), "from": receiver.from_, "smarthost": receiver.smarthost,
                             "require_tls": True, "send_resolved": resolved}
    if receiver.secret_key:
        email.update({"auth_username": receiver.auth_username, "auth_password_file": path})
    return {"name": receiver.name, "email_configs": [email]}


def severity_matcher(severities: Sequence[str]) -> str:
    ordered = [s for s in SEVERITIES if s in severities]
    if len(ordered) == 1:
        return f'severity = "{ordered[0]}"'
    return f'severity =~ "{"|".join(ordered)}"'


def route_config(route: AlertRouteSettings) -> dict[str, Any]:
    matchers = ([severity_matcher(route.severities)] if route.severities else []) + list(route.matchers)
    out: dict[str, Any] = {"receiver": route.receiver}
    if matchers:
        out["matchers"] = matchers
    if route.repeat_interval:
        out["repeat_interval"] = route.repeat_interval
    out["continue"] = route.continue_
    return out


def route_tree(alerting: AlertingSettings) -> dict[str, Any]:
    """Root: the null receiver (what no route takes is dropped). Children, in order: the chart's
    InfoInhibitor and Watchdog alerts (never to people), then the severity routes."""
    watchdog: dict[str, Any] = {"receiver": alerting.watchdog_receiver or NULL_RECEIVER,
                                "matchers": ['alertname = "Watchdog"']}
    if alerting.watchdog_receiver:
        watchdog.update(WATCHDOG_TIMING)
    return {
        "receiver": NULL_RECEIVER,
        "group_by": list(alerting.group_by),
        "group_wait": alerting.group_wait,
        "group_interval": alerting.group_interval,
        "repeat_interval": alerting.repeat_interval,
        "routes": [
            {"receiver": NULL_RECEIVER, "matchers": ['alertname = "InfoInhibitor"']},
            watchdog,
            *(route_config(r) for r in alerting.effective_routes()),
        ],
    }


def alertmanager_config(alerting: AlertingSettings) -> dict[str, Any]:
    """`alertmanager.config` values: `route` and `receivers` (the chart's global and inhibit_rules stay)."""
    return {
        "route": route_tree(alerting),
        "receivers": [{"name": NULL_RECEIVER}, *(receiver_config(r) for r in alerting.receivers)],
    }
