"""Pure tests of the values builders: keys exist upstream, schemas validate, secrets only by reference."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from components.ingress import controller_values
from components.services import keycloak, lakefs, mlflow, zenml
from domain.versions import IMAGES
from tests.chart_keys import problems, schema_errors, unknown_keys

from .helpers import ALL_INGRESS, MLOPS_POOL, settings, with_ingress

STACKS = ("dev", "staging", "prod")
# Keys that would hold a credential in plain values, and keys that only name a Secret or a Secret's key.
CREDENTIAL_KEY = re.compile(r"(?i)password|secret|token|accesskey|encryptionkey")
REFERENCE_KEY = re.compile(r"(?i)^(existing\w*secret\w*|secretname|secretkeys|\w*secretref|passwordkey|usernamekey|"
                           r"secretkeyref)$")


def all_values(stack: str, ingress: bool = False, monitors: bool = False) -> dict[str, tuple[str, dict[str, Any]]]:
    """chart -> values of every builder for a stack."""
    s = with_ingress(stack) if ingress else settings(stack)
    layer = s.services_layer()
    region = s.region
    return {
        "keycloak": ("keycloakx", keycloak.keycloak_values(layer.deployment("keycloak"), db_host="db.example.internal",
                                                          db_port=5432, service_monitor=monitors)),
        "mlflow": ("mlflow", mlflow.mlflow_values(layer.deployment("mlflow"), region=region, bucket="mlflow-bucket",
                                                  role_arn="arn:aws:iam::1:role/m", db_host="db.example.internal",
                                                  db_port=5432, service_monitor=monitors)),
        "zenml": ("zenml", zenml.zenml_values(layer.deployment("zenml"), region=region,
                                              db_host="mysql.example.internal", db_port=3306)),
        "lakefs": ("lakefs", lakefs.lakefs_values(layer.deployment("lakefs"), region=region,
                                                  role_arn="arn:aws:iam::1:role/l")),
        "alb": ("aws-load-balancer-controller", controller_values(
            cluster_name=layer.cluster_name, region=region, placement=layer.system_placement, vpc_id="vpc-0abc",
            role_arn="arn:aws:iam::1:role/alb")),
    }


CASES = [(stack, ingress) for stack in STACKS for ingress in (False, True)]


@pytest.mark.parametrize(("stack", "ingress"), CASES)
def test_every_values_key_exists_upstream(stack: str, ingress: bool) -> None:
    for name, (chart, values) in all_values(stack, ingress, monitors=ingress).items():
        assert problems(chart, values) == [], f"{name}: keys (or types) the pinned {chart} chart does not take"


@pytest.mark.parametrize(("stack", "ingress"), CASES)
def test_mlflow_and_keycloak_values_validate_against_the_chart_schemas(stack: str, ingress: bool) -> None:
    values = all_values(stack, ingress, monitors=ingress)
    for name in ("mlflow", "keycloak"):
        chart, v = values[name]
        assert schema_errors(chart, v) == [], name


def test_key_check_and_schema_check_catch_mistakes() -> None:
    _, values = all_values("dev")["mlflow"]
    wrong = {**values, "backendStore": {**values["backendStore"], "postgresql": {"host": "x"}}, "replicas": 2}
    assert set(unknown_keys("mlflow", wrong)) == {"backendStore.postgresql: not a key of mlflow 1.11.5",
                                                  "replicas: not a key of mlflow 1.11.5"}
    assert schema_errors("mlflow", wrong)
    _, kc = all_values("dev")["keycloak"]
    assert unknown_keys("keycloakx", {**kc, "extraEnvs": ""}) == ["extraEnvs: not a key of keycloakx 7.1.11"]
    extra_env = {**kc, "extraEnv": [{"name": "A"}]}  # a templated string upstream
    assert schema_errors("keycloakx", extra_env)
    assert problems("keycloakx", extra_env) == ["extraEnv: list, but the chart's default is a string"]


def credential_leaves(values: Any, path: str = "", in_reference: bool = False) -> list[str]:
    """Non-empty values of keys that hold a credential themselves (not a Secret name or key name)."""
    found = []
    if isinstance(values, dict):
        for key, value in values.items():
            here = f"{path}.{key}" if path else key
            reference = in_reference or bool(REFERENCE_KEY.match(key))
            if CREDENTIAL_KEY.search(key) and not reference and isinstance(value, str) and value:
                found.append(here)
            found += credential_leaves(value, here, reference)
    elif isinstance(values, list):
        for i, item in enumerate(values):
            found += credential_leaves(item, f"{path}[{i}]", in_reference)
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_no_credentials_in_any_values(stack: str) -> None:
    for name, (_, values) in all_values(stack, ingress=True).items():
        assert credential_leaves(values) == [], name
    _, ml = all_values(stack)["mlflow"]
    assert ml["backendStore"]["postgres"]["password"] == "" and ml["auth"]["postgres"]["password"] == ""
    assert "adminPassword" not in ml["auth"] and "flaskServerSecretKey" not in ml
    assert credential_leaves({"auth": {"adminPassword": "hunter2"}, "x": [{"jwtSecretKey": "k"}]}) == [
        "auth.adminPassword", "x[0].jwtSecretKey"]


def test_keycloak_values() -> None:
    dev = all_values("dev")["keycloak"][1]
    prod = all_values("prod", ingress=True)["keycloak"][1]
    repository, tag = IMAGES["keycloak"].rsplit(":", 1)
    assert dev["image"] == {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"}
    # No import at start: the keycloak-config Job applies the realm on every change (test_rotation.py).
    assert dev["command"] == ["/opt/keycloak/bin/kc.sh", "start"]
    assert dev["database"] == {"vendor": "postgres", "hostname": "db.example.internal", "port": 5432,
                               "database": "keycloak", "username": "keycloak", "existingSecret": "keycloak-db",
                               "existingSecretKey": "password"}
    assert dev["http"]["relativePath"] == "/auth" and dev["proxy"]["mode"] == "xforwarded"
    assert dev["replicas"] == 1 and dev["podDisruptionBudget"] == {}
    assert prod["replicas"] == 2 and prod["podDisruptionBudget"] == {"maxUnavailable": 1}
    # extraEnv is a templated string: parse it back.
    env = {e["name"]: e for e in yaml.safe_load(dev["extraEnv"])}
    assert env["KC_BOOTSTRAP_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "keycloak-admin", "key": "password"}
    assert env["KC_BOOTSTRAP_ADMIN_USERNAME"]["valueFrom"]["secretKeyRef"]["name"] == "keycloak-admin"
    assert env["KC_HOSTNAME_STRICT"]["value"] == "false" and "KC_HOSTNAME" not in env
    prod_env = {e["name"]: e for e in yaml.safe_load(prod["extraEnv"])}
    assert prod_env["KC_HOSTNAME"]["value"] == "https://keycloak.example.com/auth"
    assert "extraVolumes" not in dev and "extraVolumeMounts" not in dev
    assert dev["securityContext"]["allowPrivilegeEscalation"] is False
    assert dev["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}


def test_mlflow_values() -> None:
    values = all_values("staging")["mlflow"][1]
    assert values["backendStore"]["postgres"]["enabled"] is True
    assert values["backendStore"]["databaseMigration"] is True
    assert values["backendStore"]["existingDatabaseSecret"]["name"] == "mlflow-db"
    assert values["artifactRoot"]["s3"] == {"enabled": True, "bucket": "mlflow-bucket", "path": "artifacts"}
    assert values["artifactRoot"]["proxiedArtifactStorage"] is True
    assert values["auth"]["enabled"] is True and values["auth"]["existingAdminSecret"]["name"] == "mlflow-admin"
    assert values["auth"]["postgres"]["database"] == "mlflow_auth"
    assert values["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/m"}
    assert values["image"]["repository"] + ":" + values["image"]["tag"] == IMAGES["mlflow"]
    assert values["extraEnvVars"]["PGSSLMODE"] == "require"
    assert "mlflow.mlflow.svc.cluster.local" in values["serverAllowedHosts"]
    assert "mlflow.example.com" in all_values("dev", ingress=True)["mlflow"][1]["serverAllowedHosts"]


def test_zenml_values() -> None:
    values = all_values("prod", ingress=True)["zenml"][1]
    server = values["server"]
    assert server["database"]["url"] == "mysql://zenml@mysql.example.internal:3306/zenml"  # no password
    assert server["database"]["passwordSecretRef"] == {"name": "zenml-db", "key": "password"}
    assert server["database"]["ssl"] is True
    assert server["secretsStore"] == {"enabled": True, "type": "aws",
                                      "aws": {"authMethod": "implicit", "authConfig": {"region": "us-west-2"}}}
    assert server["enableImplicitAuthMethods"] is False
    assert server["ingress"] == {"enabled": False}  # the chart's own (nginx) ingress is on by default
    assert server["serverURL"] == "https://zenml.example.com"
    assert values["serviceAccount"] == {"create": False, "name": "zenml"}
    assert "ingress" in all_values("dev")["zenml"][1]["server"] and "serverURL" not in all_values("dev")["zenml"][1]["server"]


def test_lakefs_values() -> None:
    values = all_values("dev")["lakefs"][1]
    config = yaml.safe_load(values["lakefsConfig"])
    assert config["database"] == {"type": "postgres"}  # connection string from the Secret
    assert config["blockstore"] == {"type": "s3", "s3": {"region": "us-west-2"}}
    assert values["existingSecret"] == "lakefs-secrets"
    assert values["secretKeys"] == {"authEncryptSecretKey": "auth_encrypt_secret_key",
                                    "databaseConnectionString": "database_connection_string"}
    assert values["serviceAccount"]["create"] is True and values["serviceAccount"]["name"] == "lakefs"
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in values["extraEnvVars"]}
    assert refs == {"LAKEFS_INSTALLATION_ACCESS_KEY_ID": "lakefs-secrets",
                    "LAKEFS_INSTALLATION_SECRET_ACCESS_KEY": "lakefs-secrets"}
    assert values["image"]["community"]["tag"] == IMAGES["lakefs"].rsplit(":", 1)[1]


def test_lakefs_image_pin_must_be_the_charts_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(IMAGES, "lakefs", "docker.io/someone/lakefs:1.0.0")
    with pytest.raises(ValueError, match="treeverse/lakefs"):
        lakefs.lakefs_values(settings("dev").services_layer().deployment("lakefs"), region="us-west-2", role_arn="arn")


def test_services_are_pinned_to_their_pool() -> None:
    dev = settings("dev")
    for name, (_, values) in all_values("dev").items():
        if name == "alb":
            assert values["nodeSelector"] == dev.system_pool.node_selector
            assert values["tolerations"] == dev.system_pool.tolerations
            continue
        assert values["nodeSelector"] == {"node-pool": "cpu"}, name
        assert values["tolerations"] == [], name
    # A dedicated, tainted pool is used by default and tolerated.
    layer = settings("dev", nodePools=[MLOPS_POOL]).services_layer()
    where = layer.deployment("mlflow").placement
    assert where == {"nodeSelector": {"node-pool": "mlops"},
                     "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "mlops", "effect": "NoSchedule"}]}
    values = lakefs.lakefs_values(layer.deployment("lakefs"), region="us-west-2", role_arn="arn")
    assert values["tolerations"] == where["tolerations"]


def test_ingress_settings_do_not_change_values_keys_beyond_upstream() -> None:
    s = settings("dev", services={"mlflow": ALL_INGRESS["mlflow"]})
    values = mlflow.mlflow_values(s.services_layer().deployment("mlflow"), region=s.region, bucket="b", role_arn="r",
                                  db_host="h", db_port=5432, service_monitor=False)
    assert values["ingress"] == {"enabled": False}  # the ALB Ingress is a separate object
    assert problems("mlflow", values) == []


def test_replicas_spread_across_zones_and_nodes() -> None:
    """More than one replica: each chart gets a zone spread through the key it has (none with one replica)."""
    from components.availability import HOSTNAME_KEY, ZONE_KEY

    dev, prod = all_values("dev"), all_values("prod")
    assert "topologySpreadConstraints" not in dev["keycloak"][1] and "topologySpreadConstraints" not in dev["lakefs"][1]
    assert "affinity" not in dev["mlflow"][1] and "affinity" not in dev["zenml"][1]
    # Keycloak: a templated string (rendered with `tpl`) selecting the chart's own selector labels.
    spread = prod["keycloak"][1]["topologySpreadConstraints"]
    assert isinstance(spread, str) and ZONE_KEY in spread and 'include "keycloak.selectorLabels"' in spread
    # lakeFS: a list; MLflow and ZenML have only `affinity`: preferred anti-affinity, zone first.
    lakefs_spread = prod["lakefs"][1]["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in lakefs_spread] == [ZONE_KEY, HOSTNAME_KEY]
    assert {c["whenUnsatisfiable"] for c in lakefs_spread} == {"ScheduleAnyway"}
    assert lakefs_spread[0]["labelSelector"]["matchLabels"] == lakefs.POD_LABELS
    for module, name in ((mlflow, "mlflow"), (zenml, "zenml")):
        terms = prod[name][1]["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
        assert [(t["weight"], t["podAffinityTerm"]["topologyKey"]) for t in terms] == [(100, ZONE_KEY), (50, HOSTNAME_KEY)]
        assert terms[0]["podAffinityTerm"]["labelSelector"]["matchLabels"] == module.POD_LABELS
    assert mlflow.POD_LABELS == {"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/instance": "mlflow"}


def test_disruption_budget_of_charts_without_one() -> None:
    from components.availability import disruption_budget_spec

    labels = {"app.kubernetes.io/name": "lakefs", "app.kubernetes.io/instance": "lakefs"}
    assert disruption_budget_spec(labels, 1) is None  # a budget on one replica would block every drain
    assert disruption_budget_spec(labels, 2) == {"minAvailable": 1, "selector": {"matchLabels": labels}}
    assert (disruption_budget_spec(labels, 3) or {}).get("minAvailable") == 2
