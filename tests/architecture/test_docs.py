"""The configuration reference (README tables, Pulumi.yaml `config:`) is generated from the settings models:
every field is described, both files are up to date, and Pulumi's project config changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from domain.settings.environments import ENVIRONMENTS
from domain.settings.loader import PROJECT, settings_from_config
from stacks import docs
from stacks.offline import read_stack_config

ROOT = Path(__file__).resolve().parents[2]
# Pulumi's project config types (sdk/go/common/workspace/project.json, simpleConfigType).
PULUMI_TYPES = {"string", "integer", "boolean", "array"}


def test_every_settings_field_has_a_description():
    assert docs.undescribed_fields() == [], "add Field(description=...) to these fields"


def test_a_field_without_description_is_caught():
    class Inner(BaseModel):
        size: int = 1

    class Outer(BaseModel):
        inner: Inner = Field(default_factory=Inner, description="a section")
        items: list[Inner] = Field(default_factory=list, description="entries")

    assert docs.undescribed_fields(Outer) == [f"{__name__}.Inner.size"]


def test_readme_and_pulumi_yaml_are_up_to_date():
    assert docs.main(["--check"]) == 0, "run `python -m stacks.docs` and commit README.md and Pulumi.yaml"


def test_a_stale_reference_is_detected():
    readme = (ROOT / "README.md").read_text()
    stale = readme.replace("| `network.azCount` |", "| `network.azCountOld` |")
    assert stale != readme and docs.readme_text(stale) == readme
    pulumi_yaml = (ROOT / "Pulumi.yaml").read_text()
    stale_yaml = pulumi_yaml.replace("mlplatform:network:", "mlplatform:networkOld:")
    assert docs.pulumi_yaml_text(stale_yaml) == pulumi_yaml


def test_the_reference_lists_every_key_with_its_per_environment_default():
    text = docs.reference_markdown()
    assert "| `services.database.instanceClass` | string | `db.t4g.micro` / `db.t4g.small` / `db.m7g.large` |" in text
    assert "| `gpu.autoscaler.replicas` | int | `1` / `2` / `2` |" in text
    assert "#### `nodePools[]` entries" in text and "#### `observability.alerting.receivers[]` entries" in text
    assert text.count("| `") >= docs.documented_fields() - 20  # sections are headings, not rows


def project_config() -> dict:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]


def test_pulumi_yaml_declares_only_what_pulumi_can_type():
    for key, entry in project_config().items():
        assert entry.get("description"), key
        if "type" in entry:
            assert entry["type"] in PULUMI_TYPES, key
            if entry["type"] == "array":
                assert entry["items"]["type"] in PULUMI_TYPES, key


def apply_project_config(stack: str, config: dict, secret: list[str]) -> dict:
    """What the Pulumi CLI does before the program runs (workspace mergeConfig): a project key without a
    default must be in the stack; a default is copied into a stack that lacks the key."""
    merged = dict(config)
    for key, entry in project_config().items():
        if key in merged:
            continue
        if "default" not in entry:
            assert not key.startswith(f"{PROJECT}:"), f"Stack '{stack}' is missing configuration value '{key}'"
            continue
        default = entry["default"]
        merged[key] = default if isinstance(default, str) else json.dumps(default)
    return merged


def test_pulumi_project_config_changes_no_setting():
    for stack in ENVIRONMENTS:
        config, secret = read_stack_config(stack)
        plain = settings_from_config(stack, config, secret)
        with_project = settings_from_config(stack, apply_project_config(stack, config, secret), secret)
        assert with_project == plain, stack


def test_a_required_key_missing_from_a_stack_is_caught():
    config, secret = read_stack_config("dev")
    del config[f"{PROJECT}:environment"]
    try:
        apply_project_config("dev", config, secret)
    except AssertionError as err:
        assert "missing configuration value 'mlplatform:environment'" in str(err)
    else:
        raise AssertionError("a stack without mlplatform:environment passed")
