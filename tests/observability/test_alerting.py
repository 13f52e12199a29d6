"""Alertmanager receivers and routing: the pure config builder, settings problems, secret config handling
(names in settings, values only as Pulumi secrets in one Kubernetes Secret) and the stack under mocks."""

from __future__ import annotations

import json

import pulumi
import pytest
import yaml

from components.observability import MonitoringScope, Observability
from components.observability.alerting import (
    RECEIVER_SECRET,
    alertmanager_config,
    receiver_secrets,
    secret_file,
)
from domain.settings import SettingsError, load_settings
from domain.settings.observability import AlertingSettings
from stacks.offline import ROOT, SECRET_MASK, evaluate, read_stack_config
from tests.chart_keys import problems

from .helpers import run_program, stack_settings

RELEASE = "observability-kube-prometheus-stack"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/slack-secret-4f3e2d"
ROUTING_KEY = "pagerduty-routing-key-9a8b7c"
WEBHOOK_URL = "https://heartbeat.example.com/ping/hb-secret-5e6f"
SMTP_PASSWORD = "smtp-password-1c2d3e"
SECRETS = {"alertingSlackWebhook": SLACK_URL, "alertingPagerdutyKey": ROUTING_KEY,
           "alertingHeartbeatUrl": WEBHOOK_URL, "alertingSmtpPassword": SMTP_PASSWORD}
RECEIVERS = [
    {"name": "oncall", "type": "pagerduty", "secretKey": "alertingPagerdutyKey"},
    {"name": "ml-alerts", "type": "slack", "channel": "#ml-alerts", "secretKey": "alertingSlackWebhook"},
    {"name": "sre-mail", "type": "email", "to": ["sre@example.com", "ml@example.com"],
     "from": "alertmanager@example.com", "smarthost": "smtp.example.com:587", "authUsername": "alertmanager",
     "secretKey": "alertingSmtpPassword"},
    {"name": "heartbeat", "type": "webhook", "secretKey": "alertingHeartbeatUrl"},
]
ALERTING = {"receivers": RECEIVERS, "watchdogReceiver": "heartbeat",
            "routes": [{"receiver": "oncall", "severities": ["critical"]},
                       {"receiver": "ml-alerts", "severities": ["critical", "warning"], "matchers": ['namespace=~"ml-.*"'],
                        "repeatInterval": "12h"},
                       {"receiver": "sre-mail", "severities": ["warning"], "continue": False}]}


def alerting(**config) -> AlertingSettings:
    return AlertingSettings.model_validate(config)


def problems_of(stack: str = "dev", secret_keys=None, **config) -> list[str]:
    with pytest.raises(SettingsError) as err:
        load_settings(stack, config, secret_keys=secret_keys)
    return err.value.problems


# --- The config builder ---------------------------------------------------------------------------------------

def test_without_receivers_everything_goes_to_null():
    config = alertmanager_config(AlertingSettings())
    assert config["receivers"] == [{"name": "null"}]
    route = config["route"]
    assert route["receiver"] == "null" and route["group_by"] == ["alertname", "namespace"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("30s", "5m", "4h")
    assert route["routes"] == [{"receiver": "null", "matchers": ['alertname = "InfoInhibitor"']},
                               {"receiver": "null", "matchers": ['alertname = "Watchdog"']}]
    assert receiver_secrets(AlertingSettings()) == {}
    assert yaml.safe_load(yaml.safe_dump(config)) == config, "plain YAML, as the chart renders it"


def test_default_routes_page_on_critical_and_chat_on_critical_and_warning():
    config = alertmanager_config(alerting(receivers=RECEIVERS[:2]))
    *_, pager, chat = config["route"]["routes"]
    assert pager == {"receiver": "oncall", "matchers": ['severity = "critical"'], "continue": True}
    assert chat == {"receiver": "ml-alerts", "matchers": ['severity =~ "critical|warning"'], "continue": True}
    assert [r["name"] for r in config["receivers"]] == ["null", "oncall", "ml-alerts"]


def test_receivers_read_their_secrets_from_the_mounted_secret_only():
    settings = alerting(**ALERTING)
    config = alertmanager_config(settings)
    receivers = {r["name"]: r for r in config["receivers"]}
    base = f"/etc/alertmanager/secrets/{RECEIVER_SECRET}"
    (slack,) = receivers["ml-alerts"]["slack_configs"]
    assert slack["api_url_file"] == f"{base}/ml-alerts" and slack["channel"] == "#ml-alerts"
    assert slack["send_resolved"] is True and "{{ .CommonLabels.alertname }}" in slack["title"]
    (pager,) = receivers["oncall"]["pagerduty_configs"]
    assert pager["routing_key_file"] == f"{base}/oncall" and "routing_key" not in pager
    assert "{{ else }}critical{{ end }}" in pager["severity"]
    (hook,) = receivers["heartbeat"]["webhook_configs"]
    assert hook == {"url_file": f"{base}/heartbeat", "send_resolved": True}
    (email,) = receivers["sre-mail"]["email_configs"]
    assert email == {"to": "sre@example.com, ml@example.com", "from": "alertmanager@example.com",
                     "smarthost": "smtp.example.com:587", "require_tls": True, "send_resolved": True,
                     "auth_username": "alertmanager", "auth_password_file": f"{base}/sre-mail"}
    # Every file a receiver reads is a key of the Secret, and nothing else is.
    files = {v for r in config["receivers"] for cfgs in r.values() if isinstance(cfgs, list) for c in cfgs
             for k, v in c.items() if k.endswith("_file")}
    assert files == {secret_file(name) for name in receiver_secrets(settings)}
    assert receiver_secrets(settings) == {"oncall": "alertingPagerdutyKey", "ml-alerts": "alertingSlackWebhook",
                                          "sre-mail": "alertingSmtpPassword", "heartbeat": "alertingHeartbeatUrl"}
    text = json.dumps(config)
    assert not [v for v in SECRETS.values() if v in text]


def test_explicit_routes_and_the_watchdog_heartbeat():
    routes = alertmanager_config(alerting(**ALERTING))["route"]["routes"]
    assert routes[0] == {"receiver": "null", "matchers": ['alertname = "InfoInhibitor"']}
    assert routes[1] == {"receiver": "heartbeat", "matchers": ['alertname = "Watchdog"'], "group_wait": "0s",
                         "group_interval": "1m", "repeat_interval": "5m"}
    assert "continue" not in routes[1], "the heartbeat stops there: Watchdog never reaches people"
    assert routes[2:] == [
        {"receiver": "oncall", "matchers": ['severity = "critical"'], "continue": True},
        {"receiver": "ml-alerts", "matchers": ['severity =~ "critical|warning"', 'namespace=~"ml-.*"'],
         "repeat_interval": "12h", "continue": True},
        {"receiver": "sre-mail", "matchers": ['severity = "warning"'], "continue": False},
    ]


def test_email_without_login_has_no_password_file():
    (receiver,) = alertmanager_config(alerting(receivers=[{
        "name": "relay", "type": "email", "to": ["sre@example.com"], "from": "am@example.com",
        "smarthost": "relay.internal:25"}]))["receivers"][1:]
    assert "auth_password_file" not in receiver["email_configs"][0]
    assert receiver_secrets(alerting(receivers=[RECEIVERS[2] | {"authUsername": "", "secretKey": ""}])) == {}


@pytest.mark.parametrize("with_receivers", [False, True])
def test_alertmanager_keys_exist_upstream(with_receivers):
    from components.observability.values import GrafanaSecrets, SecretRef, kube_prometheus_stack_values

    config = {"alerting": ALERTING} if with_receivers else {}
    settings = stack_settings("prod", observability=config)
    values = kube_prometheus_stack_values(MonitoringScope.of(settings), settings.observability, "gp3-encrypted",
                                          GrafanaSecrets(admin=SecretRef("grafana-admin", "admin-password")), 2)
    assert problems("kube-prometheus-stack", values) == []
    spec = values["alertmanager"]["alertmanagerSpec"]
    assert spec.get("secrets") == ([RECEIVER_SECRET] if with_receivers else None)


# --- Settings ----------------------------------------------------------------------------------------------------

KEY = "mlplatform:observability.alerting"


@pytest.mark.parametrize(("alerting_config", "key", "fragment"), [
    ({"receivers": [{"name": "chat", "type": "slack"}]}, f"{KEY}.receivers[chat].secretKey", "Slack incoming-webhook URL"),
    ({"receivers": [{"name": "pager", "type": "pagerduty"}]}, f"{KEY}.receivers[pager].secretKey", "routing key"),
    ({"receivers": [{"name": "hook", "type": "webhook"}]}, f"{KEY}.receivers[hook].secretKey", "webhook URL"),
    ({"receivers": [{"name": "chat", "type": "slack", "secretKey": "s"}],
      "routes": [{"receiver": "pager"}, {"receiver": "chat"}]}, f"{KEY}.routes[0].receiver", "'pager' is not a receiver"),
    ({"receivers": [{"name": "chat", "type": "slack", "secretKey": "s"}], "watchdogReceiver": "heartbeat"},
     f"{KEY}.watchdogReceiver", "'heartbeat' is not a receiver"),
    ({"receivers": [{"name": "chat", "type": "slack", "secretKey": "s"}] * 2}, f"{KEY}.receivers", "duplicate"),
    ({"receivers": [{"name": "mail", "type": "email", "to": ["a@example.com"]}]}, f"{KEY}.receivers[mail]",
     "['from', 'smarthost']"),
    ({"receivers": [{"name": "mail", "type": "email", "to": ["a@example.com"], "from": "b@example.com",
                     "smarthost": "smtp.example.com:587", "authUsername": "am"}]}, f"{KEY}.receivers[mail]",
     "both authUsername and secretKey"),
    ({"receivers": [{"name": "chat", "type": "slack", "secretKey": "s", "to": ["a@example.com"]}]},
     f"{KEY}.receivers[chat]", "['to'] do not apply to a slack receiver"),
    ({"receivers": [{"name": "chat", "type": "slack", "secretKey": "s"}, {"name": "idle", "type": "slack",
                                                                          "secretKey": "s"}],
      "routes": [{"receiver": "chat"}]}, f"{KEY}.receivers", "['idle'] receive no alerts"),
    ({"receivers": [{"name": "chat", "type": "slack", "secretKey": "services"}]}, f"{KEY}.receivers[chat].secretKey",
     "is a settings key"),
])
def test_cross_checks_name_the_key_and_the_fix(alerting_config, key, fragment):
    problems = problems_of(observability={"alerting": alerting_config})
    matching = [p for p in problems if p.startswith(f"{key}:") and fragment in p]
    assert matching, problems
    assert all("Fix:" in p for p in problems)


@pytest.mark.parametrize(("alerting_config", "key", "fragment"), [
    ({"receivers": [{"name": "null", "type": "slack"}]}, f"{KEY}.receivers[null].name", "not a usable receiver name"),
    ({"receivers": [{"name": "chat", "type": "sms"}]}, f"{KEY}.receivers[chat].type", "slack"),
    ({"receivers": [{"name": "chat", "type": "slack", "secretKey": "mlplatform:slackUrl"}]},
     f"{KEY}.receivers[chat].secretKey", "without the mlplatform: prefix, letters, digits, '_' and '-' only, e.g. slackUrl"),
    ({"receivers": [{"name": "chat", "type": "slack", "channel": "ml alerts"}]}, f"{KEY}.receivers[chat].channel",
     "#ml-alerts"),
    ({"receivers": [{"name": "mail", "type": "email", "to": ["not-an-address"]}]}, f"{KEY}.receivers[mail].to",
     "not e-mail addresses"),
    ({"receivers": [{"name": "mail", "type": "email", "smarthost": "smtp.example.com"}]},
     f"{KEY}.receivers[mail].smarthost", "host:port"),
    ({"routes": [{"receiver": "null", "matchers": ["namespace is ml"]}]}, f"{KEY}.routes[0].matchers", "label=~"),
    ({"routes": [{"receiver": "null", "severities": ["page"]}]}, f"{KEY}.routes[0].severities[0]", "critical"),
    ({"groupWait": "30 seconds"}, f"{KEY}.groupWait", "30s, 5m or 4h"),
    ({"repeatInterval": "0h"}, f"{KEY}.repeatInterval", "Alertmanager duration"),
    ({"groupBy": ["alert-name"]}, f"{KEY}.groupBy", "not label names"),
    ({"receivers": [{"name": "chat", "type": "slack", "webhookUrl": "https://hooks.slack.com/x"}]},
     f"{KEY}.receivers[chat].webhookUrl", "unknown key"),
])
def test_field_errors_name_the_key_and_the_fix(alerting_config, key, fragment):
    problems = problems_of(observability={"alerting": alerting_config})
    assert [p for p in problems if p.startswith(f"{key}:") and fragment in p and "Fix:" in p], problems


def test_secret_keys_must_be_set_as_secrets_when_the_stack_config_is_known():
    config = {"observability": {"alerting": {"receivers": RECEIVERS[:2]}}}
    problems = problems_of(secret_keys={"alertingPagerdutyKey"}, **config)
    assert problems == [
        f"{KEY}.receivers[ml-alerts].secretKey: secret config mlplatform:alertingSlackWebhook (the Slack incoming-webhook "
        "URL) is not set. Fix: `pulumi config set --secret mlplatform:alertingSlackWebhook <value>`."]
    # All set: valid. Without the stack's secret keys (pure settings), presence is not checked.
    load_settings("dev", config, secret_keys={"alertingPagerdutyKey", "alertingSlackWebhook"})
    load_settings("dev", config)


def test_a_secret_set_as_plain_config_is_named_as_such():
    config = {"observability": {"alerting": {"receivers": RECEIVERS[1:2]}}, "alertingSlackWebhook": SLACK_URL}
    (problem,) = problems_of(**config)
    assert problem.startswith("mlplatform:alertingSlackWebhook: holds a secret")
    assert "pulumi config set --secret mlplatform:alertingSlackWebhook" in problem
    assert SLACK_URL not in problem


def test_secret_config_no_setting_reads_is_reported():
    (problem,) = problems_of(secret_keys={"alertingOldWebhook"})
    assert problem.startswith("mlplatform:alertingOldWebhook: secret config that no setting reads. Fix:")


def test_prod_alerting_defaults_are_valid_without_receivers():
    settings = stack_settings("prod")
    assert settings.observability.alerting.receivers == []
    assert settings.observability.alerting.effective_routes() == []


# --- Under mocks: secret config in, one masked Secret out ------------------------------------------------------

@pytest.fixture(scope="module")
def with_receivers():
    config, secret_keys = read_stack_config("prod")
    config["mlplatform:observability"] = json.dumps({"alerting": ALERTING})
    for key, value in SECRETS.items():
        config[f"mlplatform:{key}"] = value
    return evaluate("prod", config, [*secret_keys, *(f"mlplatform:{k}" for k in SECRETS)])


def test_secret_values_never_enter_the_settings(with_receivers):
    settings = with_receivers.settings
    assert settings.secret_config_keys == frozenset(SECRETS)
    dumped = settings.model_dump_json() + repr(settings)
    assert not [v for v in SECRETS.values() if v in dumped]


def test_receiver_secrets_are_one_masked_secret_the_alertmanager_mounts(with_receivers):
    (secret,) = [s for s in with_receivers.of_type("kubernetes:core/v1:Secret")
                 if s.inputs["metadata"]["name"] == RECEIVER_SECRET]
    assert secret.inputs["metadata"]["namespace"] == "monitoring"
    assert secret.masked_inputs["stringData"] == SECRET_MASK
    assert secret.inputs["stringData"]["value"] == {"oncall": ROUTING_KEY, "ml-alerts": SLACK_URL,
                                                    "sre-mail": SMTP_PASSWORD, "heartbeat": WEBHOOK_URL}
    release = with_receivers.named(RELEASE)
    assert secret.urn in release.all_dependencies, "Alertmanager pods mount it: it must exist first"
    values = release.inputs["values"]["alertmanager"]
    assert values["alertmanagerSpec"]["secrets"] == [RECEIVER_SECRET]
    assert [r["name"] for r in values["config"]["receivers"]] == ["null", "oncall", "ml-alerts", "sre-mail",
                                                                   "heartbeat"]
    # Nowhere else: not in any resource's inputs (masked or not), not in any output.
    for r in with_receivers.resources:
        text = json.dumps(r.masked_inputs, default=str)
        assert not [v for v in SECRETS.values() if v in text], r.name
        if r.urn != secret.urn:
            assert not [v for v in SECRETS.values() if v in json.dumps(r.inputs, default=str)], r.name
    assert not [v for v in SECRETS.values() if v in json.dumps(with_receivers.outputs, default=str)]


def test_offline_plan_works_with_secure_placeholders(tmp_path):
    """`secure:` values in a stack file become placeholders offline; the plan still evaluates."""
    stack_file = tmp_path / "Pulumi.prod.yaml"
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    doc["config"]["mlplatform:observability"] = {"alerting": {"receivers": RECEIVERS[1:2]}}
    doc["config"]["mlplatform:alertingSlackWebhook"] = {"secure": "v1:AAAAbase64ciphertext"}
    stack_file.write_text(yaml.safe_dump(doc))
    config, secret_keys = read_stack_config("prod", path=stack_file)
    assert secret_keys == ["mlplatform:alertingSlackWebhook"]
    ev = evaluate("prod", config, secret_keys)
    (secret,) = [s for s in ev.of_type("kubernetes:core/v1:Secret") if s.inputs["metadata"]["name"] == RECEIVER_SECRET]
    assert secret.masked_inputs["stringData"] == SECRET_MASK


# --- The prod warning --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("stack", "config", "warned"), [
    ("prod", {}, True),
    ("dev", {}, False),
    ("prod", {"alerting": {"receivers": [{"name": "relay", "type": "email", "to": ["sre@example.com"],
                                          "from": "am@example.com", "smarthost": "relay.internal:25"}]}}, False),
])
def test_prod_without_receivers_warns_at_build_time(monkeypatch, stack, config, warned):
    messages: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **k: messages.append(msg))
    settings = stack_settings(stack, observability=config)
    run_program(lambda: Observability("obs", settings.observability, MonitoringScope.of(settings)), stack)
    assert any("observability.alerting has no receivers" in m for m in messages) is warned, messages
