"""Grafana credentials: generated admin password, Keycloak SSO and database connection, never in plain Helm values."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.identity import OidcClient
from components.observability import MonitoringScope, Observability
from components.observability.component import grafana_root_url
from components.storage import DatabaseConnection
from stacks.offline import SECRET_MASK
from tests.conftest import evaluate_stack

from .helpers import run_program, stack_settings

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
CLIENT_SECRET = "oidc-client-secret-value-9f8e7d"
DATABASE_PASSWORD = "db-password-1a2b3c"
DATABASE_HOST = "grafana-db.example.internal"


def oidc_client(redirect: str = "https://grafana.example.com/login/generic_oauth") -> OidcClient:
    return OidcClient(client_id="grafana", secret=pulumi.Output.secret(CLIENT_SECRET), redirect_uris=[redirect],
                      issuer_url="https://id.example.com/auth/realms/platform",
                      internal_issuer_url="http://keycloak-http.keycloak.svc/auth/realms/platform")


def run_observability(stack: str = "prod", *, sso: bool = True, database: bool = True):
    settings = stack_settings(stack)

    def program():
        connection = DatabaseConnection(engine="postgres", host=DATABASE_HOST, port=5432, database="grafana",
                                        user="grafana", password=pulumi.Output.secret(DATABASE_PASSWORD))
        Observability("obs", settings.observability, MonitoringScope.of(settings), grafana_oidc=oidc_client() if sso else None,
                      grafana_database=connection if database else None)

    return run_program(program, stack)


@pytest.fixture(scope="module")
def with_sso():
    return run_observability()


def grafana_values(planned):
    (release,) = [r for r in planned if r.type == RELEASE_TYPE]
    return release, release.inputs["values"]["grafana"]


def secrets(planned):
    return {r.inputs["metadata"]["name"]: r for r in planned if r.type == "kubernetes:core/v1:Secret"}


def test_admin_password_is_generated_and_only_in_a_secret():
    evaluation = evaluate_stack("dev")
    (password,) = [r for r in evaluation.of_type("random:index/randomPassword:RandomPassword")
                   if r.name == "observability-grafana-admin"]
    assert password.inputs["length"] >= 24
    generated = password.outputs["result"]
    release = evaluation.named("observability-kube-prometheus-stack")
    assert generated not in json.dumps(release.inputs)
    grafana = release.inputs["values"]["grafana"]
    assert "adminPassword" not in grafana
    assert grafana["admin"] == {"existingSecret": "grafana-admin", "userKey": "admin-user",
                                "passwordKey": "admin-password"}
    secret = next(r for r in evaluation.of_type("kubernetes:core/v1:Secret")
                  if r.inputs["metadata"]["name"] == "grafana-admin")
    assert secret.inputs["metadata"]["namespace"] == "monitoring"
    assert secret.masked_inputs["stringData"] == SECRET_MASK
    assert generated in json.dumps(secret.inputs)


def test_sso_through_keycloak_with_the_client_secret_from_a_secret(with_sso):
    release, grafana = grafana_values(with_sso)
    oauth = grafana["grafana.ini"]["auth.generic_oauth"]
    assert oauth["enabled"] is True and oauth["client_id"] == "grafana"
    assert "client_secret" not in oauth
    assert oauth["auth_url"] == "https://id.example.com/auth/realms/platform/protocol/openid-connect/auth"
    assert oauth["token_url"].startswith("http://keycloak-http.keycloak.svc/auth/realms/platform/")
    assert grafana["grafana.ini"]["server"]["root_url"] == "https://grafana.example.com"
    assert grafana["envValueFrom"]["GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET"] == {
        "secretKeyRef": {"name": "grafana-oidc-client", "key": "client-secret"}}
    oidc = secrets(with_sso)["grafana-oidc-client"]
    assert oidc.masked_inputs["stringData"] == SECRET_MASK
    assert CLIENT_SECRET in json.dumps(oidc.inputs)
    assert CLIENT_SECRET not in json.dumps(release.inputs)
    deps = {r.urn for r in with_sso if r.type == "kubernetes:core/v1:Secret"}
    assert deps <= release.all_dependencies, "Grafana starts only once its Secrets exist"


def test_no_secret_value_in_plain_values(with_sso):
    release, _ = grafana_values(with_sso)
    text = json.dumps(release.inputs)
    password = next(r for r in with_sso if r.type == "random:index/randomPassword:RandomPassword").outputs["result"]
    for value in (CLIENT_SECRET, DATABASE_PASSWORD, DATABASE_HOST, password):
        assert value not in text
    assert SECRET_MASK not in json.dumps(release.masked_inputs), "no secret Output inside the values at all"


def test_shared_database_lets_prod_run_two_grafana_replicas(with_sso):
    _, grafana = grafana_values(with_sso)
    assert grafana["replicas"] == 2
    assert grafana["podDisruptionBudget"] == {"minAvailable": 1}
    assert grafana["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    for env, key in (("GF_DATABASE_HOST", "host"), ("GF_DATABASE_NAME", "name"), ("GF_DATABASE_USER", "user"),
                     ("GF_DATABASE_PASSWORD", "password")):
        assert grafana["envValueFrom"][env] == {"secretKeyRef": {"name": "grafana-database", "key": key}}
    assert grafana["grafana.ini"]["database"]["type"] == "postgres"
    assert grafana["grafana.ini"]["database"]["ssl_mode"] == "require"
    database = secrets(with_sso)["grafana-database"]
    assert database.masked_inputs["stringData"] == SECRET_MASK
    assert database.inputs["stringData"]["value"] == {"host": f"{DATABASE_HOST}:5432", "name": "grafana",
                                                      "user": "grafana", "password": DATABASE_PASSWORD}


def test_without_a_shared_database_grafana_stays_single():
    planned = run_observability("prod", sso=False, database=False)
    _, grafana = grafana_values(planned)
    assert grafana["replicas"] == 1 and "podDisruptionBudget" not in grafana
    assert "auth.generic_oauth" not in grafana["grafana.ini"]
    assert set(secrets(planned)) == {"grafana-admin"}


def test_root_url_comes_from_the_registered_redirect_uri():
    assert grafana_root_url(oidc_client("https://grafana.dev.example.com/login/generic_oauth/")) == \
        "https://grafana.dev.example.com"
    with pytest.raises(ValueError, match="/login/generic_oauth"):
        grafana_root_url(oidc_client("https://grafana.example.com/oauth/callback"))


def test_stacks_log_grafana_in_through_keycloak_s_grafana_client():
    evaluation = evaluate_stack("dev")
    release = evaluation.named("observability-kube-prometheus-stack")
    oauth = release.inputs["values"]["grafana"]["grafana.ini"]["auth.generic_oauth"]
    assert oauth["client_id"] == "grafana" and "client_secret" not in oauth
    oidc = next(r for r in evaluation.of_type("kubernetes:core/v1:Secret")
                if r.inputs["metadata"]["name"] == "grafana-oidc-client")
    assert oidc.masked_inputs["stringData"] == SECRET_MASK
    (generated,) = [r.outputs["result"] for r in evaluation.of_type("random:index/randomPassword:RandomPassword")
                    if r.outputs["result"] in json.dumps(oidc.inputs)]
    assert generated not in json.dumps(release.inputs)
    assert oidc.urn in release.all_dependencies


def test_keycloak_groups_map_to_grafana_roles():
    planned = run_observability_with_teams()
    _, grafana = grafana_values(planned)
    path = grafana["grafana.ini"]["auth.generic_oauth"]["role_attribute_path"]
    assert path == ("(contains(groups || `[]`, 'platform-admins')) && 'Admin' || "
                    "(contains(groups || `[]`, 'ml-research-owners') || contains(groups || `[]`, 'ml-serving-owners')) "
                    "&& 'Editor' || 'Viewer'")


def run_observability_with_teams():
    settings = stack_settings("dev", teams=[
        {"name": "ml-research", "ownersGroup": "ml-research-owners", "gpuQuota": 1, "cpuQuota": "16",
         "memoryQuota": "64Gi"},
        {"name": "ml-serving", "ownersGroup": "ml-serving-owners", "gpuQuota": 1, "cpuQuota": "16",
         "memoryQuota": "64Gi"}])

    def program():
        Observability("obs", settings.observability, MonitoringScope.of(settings), grafana_oidc=oidc_client())

    return run_program(program, "dev")
