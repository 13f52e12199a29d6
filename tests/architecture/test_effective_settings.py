"""Every per-environment default is resolved at load time: the validated settings hold effective values,
and `python -m stacks.plan --settings` shows them."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from domain.settings import load_settings
from domain.settings.environments import DEFAULTS, ENVIRONMENTS
from stacks.plan import main

# Settings whose None means "not set" on purpose, each resolved from other settings where it is read.
UNSET_ON_PURPOSE = {
    "nodePools[].desiredSize",  # the initial size is minSize; afterwards the autoscaler owns it
    "nodePools[].releaseVersion",  # the latest AMI release of the cluster's Kubernetes version
    "teams[].maxGpusPerPod",  # the largest GPU node of the stack (a limit derived from the pools)
    "backup.copyTo",  # no copy (dev, staging); prod defaults to the region paired with its own (loader)
}


def none_paths(value: Any, path: str = "") -> set[str]:
    if isinstance(value, dict):
        return set().union(*(none_paths(v, f"{path}.{k}" if path else k) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(none_paths(v, f"{path}[]") for v in value))
    return {path} if value is None else set()


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, value) of every scalar in a config-shaped mapping; list entries keyed by their name."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in leaves(v, (*path, k))]
    if isinstance(value, list) and all(isinstance(v, dict) and "name" in v for v in value):
        return [leaf for v in value for leaf in leaves(v, (*path, v["name"]))]
    return [(path, value)]


def lookup(dumped: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = dumped
    for part in path:
        node = next(v for v in node if v["name"] == part) if isinstance(node, list) else node[part]
    return node


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_environment_default_is_in_the_validated_settings(environment):
    dumped = load_settings(environment, {}).model_dump(mode="json", by_alias=True)
    for path, value in leaves(DEFAULTS[environment]):
        assert lookup(dumped, path) == value, path


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_default_is_left_for_components_to_resolve(environment):
    teams = [{"name": "team-a", "ownersGroup": "team-a", "gpuQuota": 1}]
    dumped = load_settings(environment, {"teams": teams}).model_dump(mode="json", by_alias=True)
    assert none_paths(dumped) <= UNSET_ON_PURPOSE


def test_per_environment_values_and_overrides():
    dev, prod = load_settings("dev", {}), load_settings("prod", {})
    assert (dev.gpu.autoscaler.replicas, prod.gpu.autoscaler.replicas) == (1, 2)
    assert (dev.services.mlflow.replicas, prod.services.mlflow.replicas) == (1, 2)
    assert (dev.services.database.multi_az, prod.services.database.multi_az) == (False, True)
    assert (dev.observability.grafana.replicas, prod.observability.prometheus.storage_gib) == (1, 200)
    assert dev.cluster.name == "mlplatform-dev"
    staging = load_settings("staging", {"services": {"mlflow": {"replicas": 3}, "database": {"multiAz": True}},
                                        "cluster": {"name": "ml-staging"}})
    assert (staging.services.mlflow.replicas, staging.services.zenml.replicas) == (3, 1)
    assert staging.services.database.multi_az and staging.services.database.instance_class == "db.t4g.small"
    assert staging.cluster_name == "ml-staging"
    assert DEFAULTS["staging"]["services"]["mlflow"] == {"replicas": 1}  # the merge copies, never mutates


def test_plan_prints_the_effective_settings_with_secrets_masked(tmp_path, capsys):
    config = tmp_path / "Pulumi.prod.yaml"
    config.write_text(yaml.safe_dump({"config": {
        "mlplatform:slackWebhook": {"secure": "v1:c2VjcmV0LXdlYmhvb2s="},
        "mlplatform:observability": {"alerting": {"receivers": [
            {"name": "chat", "type": "slack", "secretKey": "slackWebhook"}]}},
    }}))
    assert main(["--stack", "prod", "--config", str(config), "--settings"]) == 0
    out = capsys.readouterr().out
    doc = yaml.safe_load(out)
    assert doc["mlplatform:slackWebhook"] == "[secret]" and "c2VjcmV0" not in out
    assert doc["mlplatform:services"]["keycloak"]["replicas"] == 2
    assert doc["mlplatform:services"]["database"]["instanceClass"] == "db.m7g.large"
    assert doc["mlplatform:gpu"]["autoscaler"]["replicas"] == 2
    assert doc["mlplatform:cluster"]["name"] == "mlplatform-prod"
    assert doc["aws:region"] == "us-west-2"
