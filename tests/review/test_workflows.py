"""The GitHub workflows pass actionlint and do what the README promises."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def test_actionlint_passes():
    beside_python = Path(sys.executable).parent / "actionlint"  # the venv's bin, even when not on PATH
    exe = str(beside_python) if beside_python.exists() else shutil.which("actionlint")
    if exe is None:
        pytest.fail("actionlint is not installed: pip install -r requirements-dev.txt")
    result = subprocess.run([exe, *sorted(str(p) for p in WORKFLOWS.glob("*.yml"))], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def test_pr_workflow_lints_tests_plans_and_previews_with_the_pack():
    wf = load("pr.yml")
    assert wf["permissions"]["id-token"] == "write"  # OIDC role assumption, no stored AWS keys
    text = (WORKFLOWS / "pr.yml").read_text()
    for needle in ("ruff check", "mypy", "pytest", "stacks.plan", "policyPacks: policy",
                   "policyPackConfigs: policy/config/${{ matrix.stack }}.json", "role-to-assume"):
        assert needle in text
    assert "aws-access-key-id" not in text
    assert wf["jobs"]["preview"]["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]


def test_deploy_runs_dev_then_staging_then_prod_in_environments():
    wf = load("deploy.yml")
    jobs = wf["jobs"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    up = load("up.yml")
    assert up["jobs"]["up"]["environment"] == "${{ inputs.stack }}"
    assert "command: up" in (WORKFLOWS / "up.yml").read_text()
