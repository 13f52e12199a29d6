"""Services settings: defaults, pool resolution and the problems that name their config key."""

from __future__ import annotations

import pytest

from domain.settings import SettingsError

from .helpers import AUTH_POOL, CERT, MLOPS_POOL, settings


def problems(stack: str = "dev", **config) -> list[str]:
    with pytest.raises(SettingsError) as err:
        settings(stack, **config)
    return err.value.problems


def test_defaults_run_everything_on_the_cpu_pool() -> None:
    s = settings("dev")
    assert s.services.enabled_services == ["keycloak", "mlflow", "zenml", "lakefs"]
    assert {s.services.pool_name(n, s) for n in s.services.enabled_services} == {"cpu"}
    assert not s.services.any_ingress
    assert s.services.keycloak.replicas == 1
    assert settings("prod").services.keycloak.replicas == 2


def test_dedicated_pools_are_used_when_configured() -> None:
    s = settings("dev", nodePools=[AUTH_POOL, MLOPS_POOL])
    assert s.services.pool_name("keycloak", s) == "auth"
    assert {s.services.pool_name(n, s) for n in ("mlflow", "zenml", "lakefs")} == {"mlops"}
    explicit = settings("dev", nodePools=[MLOPS_POOL], services={"mlflow": {"pool": "cpu"}})
    assert explicit.services.pool_name("mlflow", explicit) == "cpu"


@pytest.mark.parametrize("pool", ["gpu", "spot", "system", "monitoring"])
def test_services_cannot_run_on_special_pools(pool: str) -> None:
    (problem,) = problems(services={"mlflow": {"pool": pool}})
    assert problem.startswith("mlplatform:services.mlflow.pool: ")
    assert f"pool '{pool}'" in problem and "Fix: set mlplatform:services.mlflow.pool to one of ['cpu']" in problem


def test_unknown_pool_names_the_key_and_the_choices() -> None:
    (problem,) = problems(services={"zenml": {"pool": "mlops"}})
    assert problem.startswith("mlplatform:services.zenml.pool: zenml is set to pool 'mlops'")
    assert "Fix:" in problem


def test_missing_default_pool_is_reported() -> None:
    issues = [p for p in problems(nodePools=[{"name": "cpu", "enabled": False}]) if p.startswith("mlplatform:services.")]
    assert len(issues) == 4
    assert all(p.startswith(f"mlplatform:services.{n}.pool: {n} defaults to pool 'cpu'")
               for p, n in zip(issues, ["keycloak", "mlflow", "zenml", "lakefs"], strict=True))


def test_spot_capacity_pool_is_rejected_even_if_kind_cpu() -> None:
    spot_cpu = {"name": "cheap", "kind": "cpu", "capacityType": "SPOT", "minSize": 0, "maxSize": 3,
                "instanceTypes": ["m6i.xlarge", "m6a.xlarge", "m5.xlarge"],
                "taints": [{"key": "spot", "value": "true", "effect": "NoSchedule"}]}
    (problem,) = problems(nodePools=[spot_cpu], services={"lakefs": {"pool": "cheap"}})
    assert problem.startswith("mlplatform:services.lakefs.pool: pool 'cheap' is a SPOT pool")


def test_disabled_services_are_not_checked() -> None:
    s = settings("dev", services={"mlflow": {"enabled": False, "pool": "gpu"}})
    assert "mlflow" not in s.services.enabled_services


def test_prod_rules() -> None:
    issues = problems("prod", services={"keycloak": {"replicas": 1}, "database": {"multiAz": False,
                                                                                  "backupRetentionDays": 3}})
    assert [p.split(":", 2)[1] for p in issues] == ["services.keycloak.replicas", "services.database.multiAz",
                                                    "services.database.backupRetentionDays"]
    assert all("Fix:" in p for p in issues)


def test_ingress_validation() -> None:
    (problem,) = problems(services={"mlflow": {"ingress": {"enabled": True, "host": "mlflow.example.com"}}})
    assert problem.startswith("mlplatform:services.mlflow.ingress: an enabled ingress needs both host and certificateArn")
    (problem,) = problems(services={"mlflow": {"ingress": {"certificateArn": "arn:aws:iam::1:cert"}}})
    assert problem.startswith("mlplatform:services.mlflow.ingress.certificateArn:")
    (problem,) = problems(services={"mlflow": {"ingress": {"host": "Not A Host"}}})
    assert problem.startswith("mlplatform:services.mlflow.ingress.host:")
    same = {"enabled": True, "host": "ml.example.com", "certificateArn": CERT}
    (problem,) = problems(services={"mlflow": {"ingress": same}, "zenml": {"ingress": same}})
    assert problem.startswith("mlplatform:services.zenml.ingress.host: 'ml.example.com' is also the host of mlflow")
    public = {"enabled": True, "host": "id.example.com", "certificateArn": CERT, "scheme": "internet-facing"}
    (problem,) = problems("prod", services={"keycloak": {"ingress": public}})
    assert problem.startswith("mlplatform:services.keycloak.ingress.allowedCidrs:")
    settings("prod", services={"keycloak": {"ingress": {**public, "allowedCidrs": ["203.0.113.0/24"]}}})


def test_unknown_keys_are_rejected() -> None:
    (problem,) = problems(services={"mlflow": {"replica": 2}})
    assert problem.startswith("mlplatform:services.mlflow.replica: unknown key")


def test_database_layout_and_shape() -> None:
    s = settings("staging", services={"database": {"layout": "per_service", "instanceClass": "db.t4g.medium"}})
    assert s.services.database.layout == "per_service"
    assert s.services.database.instance_class == "db.t4g.medium"
    (problem,) = problems(services={"database": {"instanceClass": "t4g.medium"}})
    assert problem.startswith("mlplatform:services.database.instanceClass:")


def test_team_namespaces_may_call_the_pipeline_services() -> None:
    s = settings("dev", teams=[{"name": "ml-research", "ownersGroup": "ml-research"}],
                 services={"mlflow": {"allowFromNamespaces": ["ci"]}})
    assert s.services.client_namespaces("mlflow", s) == ["ci", "ml-research"]
    assert s.services.client_namespaces("lakefs", s) == ["ml-research"]
    assert s.services.client_namespaces("keycloak", s) == []


def test_teams_cannot_take_a_service_namespace() -> None:
    issues = problems(teams=[{"name": "mlflow", "ownersGroup": "x"}])
    assert "mlplatform:teams[mlflow].name: 'mlflow' is a namespace of the platform. Fix: pick another team name." \
        in issues
