"""Grafana HA: its own database on the services' PostgreSQL (bootstrap Job, Secret from RDS and
pulumi_random outputs), replicas with PDB and zone spread in prod, the single-replica fallback, the
dependency graph, and the optional ALB Ingress."""

from __future__ import annotations

import json

import pytest

from components.services.platform_services import grafana_database_instance
from stacks.offline import SECRET_MASK, Evaluation
from stacks.review.critical_path import waits_on
from tests.conftest import evaluate_stack

from .helpers import stack_settings

RELEASE = "observability-kube-prometheus-stack"
SECRET = "kubernetes:core/v1:Secret"
JOB = "kubernetes:batch/v1:Job"
RDS = "aws:rds/instance:Instance"
HELM = "kubernetes:helm.sh/v3:Release"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
NO_POSTGRES = {s: {"enabled": False} for s in ("keycloak", "mlflow", "lakefs")}
CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
GRAFANA_INGRESS = {"grafana": {"ingress": {"enabled": True, "host": "grafana.example.com", "certificateArn": CERT}}}


def grafana(ev: Evaluation) -> dict:
    return ev.named(RELEASE).inputs["values"]["grafana"]


def secret(ev: Evaluation, namespace: str, name: str):
    (match,) = [s for s in ev.of_type(SECRET) if s.inputs["metadata"] == {**s.inputs["metadata"],
                                                                         "namespace": namespace, "name": name}]
    return match


def job(ev: Evaluation, name: str):
    (match,) = [j for j in ev.of_type(JOB) if j.name == name]
    return match


def string_data(resource) -> dict:
    data = resource.inputs["stringData"]
    return data["value"] if "value" in data else {k: v["value"] if isinstance(v, dict) else v for k, v in data.items()}


# --- prod: two replicas on a shared database --------------------------------------------------------------------

def test_prod_runs_two_grafana_replicas_with_a_budget_and_zone_spread():
    values = grafana(evaluate_stack("prod"))
    assert values["replicas"] == 2
    assert values["podDisruptionBudget"] == {"minAvailable": 1}
    (spread,) = values["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone" and spread["maxSkew"] == 1
    assert spread["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": "grafana",
                                                      "app.kubernetes.io/instance": "kube-prometheus-stack"}
    # Grafana-managed alerts are deduplicated across replicas (gossip through the headless Service).
    assert values["headlessService"] is True
    ha = values["grafana.ini"]["unified_alerting"]
    assert ha["ha_peers"] == "kube-prometheus-stack-grafana-headless:9094"
    assert ha["ha_listen_address"] == ha["ha_advertise_address"] == "${POD_IP}:9094"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_grafana_reads_its_database_from_a_secret_in_monitoring(stack):
    ev = evaluate_stack(stack)
    values = grafana(ev)
    assert values["grafana.ini"]["database"] == {"type": "postgres", "ssl_mode": "require", "max_open_conn": 10,
                                                 "max_idle_conn": 2}
    env = {k: v["secretKeyRef"] for k, v in values["envValueFrom"].items() if k.startswith("GF_DATABASE_")}
    assert env == {"GF_DATABASE_HOST": {"name": "grafana-database", "key": "host"},
                   "GF_DATABASE_NAME": {"name": "grafana-database", "key": "name"},
                   "GF_DATABASE_USER": {"name": "grafana-database", "key": "user"},
                   "GF_DATABASE_PASSWORD": {"name": "grafana-database", "key": "password"}}
    db_secret = secret(ev, "monitoring", "grafana-database")
    assert db_secret.masked_inputs["stringData"] == SECRET_MASK
    data = string_data(db_secret)
    # The password is the generated one the bootstrap Job sets; the host is the shared PostgreSQL instance.
    (password,) = [r for r in ev.of_type("random:index/randomPassword:RandomPassword")
                   if r.name == "services-grafana-db-password"]
    assert password.inputs["length"] >= 32 and data["password"] == password.outputs["result"]
    assert data["password"] == string_data(secret(ev, "platform-db", "services-grafana-db-credentials"))["password"]
    (postgres,) = [r for r in ev.of_type(RDS) if r.inputs["engine"] == "postgres"]
    assert data["host"] == f"{postgres.outputs['address']}:5432"
    assert (data["name"], data["user"]) == ("grafana", "grafana")
    release = ev.named(RELEASE)
    assert db_secret.urn in release.all_dependencies
    assert password.outputs["result"] not in json.dumps(release.inputs)


def test_the_bootstrap_job_makes_the_grafana_database_on_the_monitoring_pool():
    ev = evaluate_stack("prod")
    bootstrap = job(ev, "services-grafana-db")
    assert bootstrap.inputs["metadata"]["namespace"] == "platform-db"
    pod = bootstrap.inputs["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"node-pool": "monitoring"}
    assert pod["tolerations"] == ev.settings.pool("monitoring").tolerations
    (container,) = pod["containers"]
    refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e}
    assert refs == {"postgres-master", "services-grafana-db-credentials"}
    (script,) = [c for c in ev.of_type("kubernetes:core/v1:ConfigMap") if c.name == "services-grafana-db-script"]
    sql = script.inputs["data"]["bootstrap.sql"]
    assert "CREATE ROLE %I WITH LOGIN', 'grafana'" in sql and "CREATE DATABASE %I OWNER %I', 'grafana', 'grafana'" in sql
    assert secret(ev, "platform-db", "services-grafana-db-credentials").masked_inputs["stringData"] == SECRET_MASK


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_monitoring_release_waits_for_its_database_and_no_other_add_on(stack):
    ev = evaluate_stack(stack)
    by_urn = ev.by_urn()
    release = ev.named(RELEASE)
    waited = [by_urn[u] for u in waits_on(ev.resources, release.urn)]
    assert job(ev, "services-grafana-db") in waited
    assert [r for r in waited if r.type == RDS and r.inputs["engine"] == "postgres"]
    before = {r.inputs["chart"] for r in waited if r.type == HELM}
    assert before == {"prometheus-operator-crds"}, "no Helm release but its CRDs before the monitoring one"
    pools = {r.inputs["labels"]["node-pool"] for r in waited if r.type == "eks:index:ManagedNodeGroup"}
    assert pools == {"system", "monitoring"}
    assert not [r for r in waited if r.type == RDS and r.inputs["engine"] == "mysql"]


# --- Where the database lives, and the fallback -----------------------------------------------------------------

def test_which_instance_holds_grafana_s_database():
    assert grafana_database_instance(stack_settings("dev").services_layer()) == "postgres"
    per_service = {"database": {"layout": "per_service"}}
    assert grafana_database_instance(stack_settings("dev", services=per_service).services_layer()) == "keycloak"
    no_keycloak = {**per_service, "keycloak": {"enabled": False}}
    assert grafana_database_instance(stack_settings("dev", services=no_keycloak).services_layer()) == "mlflow"
    assert grafana_database_instance(stack_settings("dev", services=NO_POSTGRES).services_layer()) is None
    sqlite = stack_settings("dev", observability={"grafana": {"database": "sqlite"}})
    assert grafana_database_instance(sqlite.services_layer()) is None


def test_per_service_layout_puts_grafana_on_keycloak_s_instance():
    ev = evaluate_stack("staging", {"services": {"database": {"layout": "per_service"}}})
    (container,) = job(ev, "services-grafana-db").inputs["spec"]["template"]["spec"]["containers"]
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e} == {
        "keycloak-master", "services-grafana-db-credentials"}
    assert string_data(secret(ev, "monitoring", "grafana-database"))["host"].startswith("mlplatform-staging-keycloak.")


@pytest.mark.parametrize("services", [
    {s: {"enabled": False} for s in ("keycloak", "mlflow", "zenml", "lakefs")},  # no services at all
    NO_POSTGRES,  # ZenML only: MySQL, no PostgreSQL
])
def test_without_postgres_grafana_falls_back_to_one_replica(services):
    ev = evaluate_stack("prod", {"services": services})
    values = grafana(ev)
    assert values["replicas"] == 1
    assert "podDisruptionBudget" not in values and "topologySpreadConstraints" not in values
    assert not [k for k in values["envValueFrom"] if k.startswith("GF_DATABASE_")]
    assert "database" not in values["grafana.ini"] and "unified_alerting" not in values["grafana.ini"]
    assert not [s for s in ev.of_type(SECRET) if s.inputs["metadata"]["name"] == "grafana-database"]
    assert not [j for j in ev.of_type(JOB) if j.name == "services-grafana-db"]


def test_dev_may_choose_sqlite_and_prod_may_not():
    ev = evaluate_stack("dev", {"observability": {"grafana": {"database": "sqlite"}}})
    assert grafana(ev)["replicas"] == 1
    assert not [j for j in ev.of_type(JOB) if j.name == "services-grafana-db"]
    from domain.settings import SettingsError

    for config, key in (({"database": "sqlite"}, "database"), ({"replicas": 1}, "replicas")):
        with pytest.raises(SettingsError) as err:
            stack_settings("prod", observability={"grafana": config})
        assert [p for p in err.value.problems
                if p.startswith(f"mlplatform:observability.grafana.{key}:") and "Fix:" in p], err.value.problems


# --- Ingress (optional) ------------------------------------------------------------------------------------------

def test_no_grafana_ingress_by_default():
    ev = evaluate_stack("dev")
    assert not [i for i in ev.of_type(INGRESS) if i.inputs["metadata"]["namespace"] == "monitoring"]
    assert grafana(ev)["grafana.ini"]["server"]["root_url"] == "http://localhost:3000"  # port-forward


def test_grafana_ingress_uses_the_alb_controller_and_admits_only_the_vpc_to_grafana():
    ev = evaluate_stack("dev", {"observability": GRAFANA_INGRESS})
    (controller,) = [r for r in ev.of_type(HELM) if r.inputs["chart"] == "aws-load-balancer-controller"]
    (ingress,) = ev.of_type(INGRESS)
    assert ingress.inputs["metadata"]["namespace"] == "monitoring"
    annotations = ingress.inputs["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internal"
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == CERT
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/api/health"
    (rule,) = ingress.inputs["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert (rule["host"], backend["name"], backend["port"]["number"]) == (
        "grafana.example.com", "kube-prometheus-stack-grafana", 80)
    assert {controller.urn, ev.named(RELEASE).urn} <= ingress.all_dependencies
    (policy,) = [p for p in ev.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                 if p.inputs["metadata"] == {"name": "allow-alb", "namespace": "monitoring"}]
    assert policy.inputs["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "grafana",
                                                                   "app.kubernetes.io/instance": "kube-prometheus-stack"}
    (allow,) = policy.inputs["spec"]["ingress"]
    assert allow["from"] == [{"ipBlock": {"cidr": "10.0.0.0/16"}}]
    assert allow["ports"] == [{"port": 3000, "protocol": "TCP"}]
    # Logins come back to the ingress host: Keycloak's client and Grafana's root_url agree.
    assert grafana(ev)["grafana.ini"]["server"]["root_url"] == "https://grafana.example.com"
    realm = next(s for s in ev.of_type(SECRET) if s.inputs["metadata"]["name"] == "keycloak-realm")
    document = json.loads(string_data(realm)["platform-realm.json"])
    (client,) = [c for c in document["clients"] if c["clientId"] == "grafana"]
    assert client["redirectUris"] == ["https://grafana.example.com/login/generic_oauth"]


def test_grafana_ingress_works_without_any_service():
    ev = evaluate_stack("dev", {"observability": GRAFANA_INGRESS,
                                "services": {s: {"enabled": False} for s in ("keycloak", "mlflow", "zenml", "lakefs")}})
    assert [r for r in ev.of_type(HELM) if r.inputs["chart"] == "aws-load-balancer-controller"]
    assert len(ev.of_type(INGRESS)) == 1
    ini = grafana(ev)["grafana.ini"]
    assert ini["server"]["root_url"] == "https://grafana.example.com" and "auth.generic_oauth" not in ini


@pytest.mark.parametrize(("config", "key", "fragment"), [
    ({"observability": {"grafana": {"ingress": {**GRAFANA_INGRESS["grafana"]["ingress"], "scheme": "internet-facing"}}}},
     "mlplatform:observability.grafana.ingress.allowedCidrs", "open to 0.0.0.0/0"),
    ({"observability": GRAFANA_INGRESS, "services": {"mlflow": {"ingress": {
        "enabled": True, "host": "grafana.example.com", "certificateArn": CERT}}}},
     "mlplatform:observability.grafana.ingress.host", "also the host of mlflow"),
    ({"observability": GRAFANA_INGRESS, "services": {"keycloak": {"grafanaUrl": "https://dash.example.com"}}},
     "mlplatform:services.keycloak.grafanaUrl", "not on Grafana's ingress host"),
    ({"observability": {"grafana": {"ingress": {"enabled": True}}}},
     "mlplatform:observability.grafana.ingress", "needs both host and certificateArn"),
])
def test_grafana_ingress_settings_problems(config, key, fragment):
    from domain.settings import SettingsError

    with pytest.raises(SettingsError) as err:
        stack_settings("prod", **config)
    assert [p for p in err.value.problems if p.startswith(f"{key}:") and fragment in p and "Fix:" in p], \
        err.value.problems
