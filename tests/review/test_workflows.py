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
    assert wf["jobs"]["preview"]["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.context.outputs.stacks) }}"
    assert "stacks.ci_context matrix dev staging prod" in text


def test_deploy_runs_dev_then_staging_then_prod_in_environments():
    wf = load("deploy.yml")
    jobs = wf["jobs"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    up = load("up.yml")
    assert up["jobs"]["up"]["environment"] == "${{ inputs.stack }}"
    assert "command: up" in (WORKFLOWS / "up.yml").read_text()


RUNS_ON = "codebuild-{runner}-${{ github.run_id }}-${{ github.run_attempt }}"


def test_previews_and_deploys_run_on_the_stacks_runner_inside_the_vpc():
    """The label format of the CodeBuild-hosted runner (domain/ci.py runner_label), with the stack's project."""
    from domain.ci import runner_label

    assert runner_label("{runner}") == RUNS_ON
    assert load("pr.yml")["jobs"]["preview"]["runs-on"] == RUNS_ON.replace("{runner}", "${{ matrix.runner }}")
    assert load("up.yml")["jobs"]["up"]["runs-on"] == RUNS_ON.replace("{runner}", "${{ needs.context.outputs.runner }}")


def test_each_stack_has_its_own_concurrency_group():
    """A prod deploy waiting for approval never blocks dev: no workflow-wide group, one group per stack."""
    assert "concurrency" not in load("deploy.yml")
    up = load("up.yml")["jobs"]["up"]["concurrency"]
    assert up == {"group": "up-${{ inputs.stack }}", "cancel-in-progress": False}
    assert load("first-deploy.yml")["jobs"]["phase-one"]["concurrency"]["group"] == "up-${{ inputs.stack }}"
    assert "${{ matrix.stack }}" in load("pr.yml")["jobs"]["preview"]["concurrency"]["group"]


def test_region_cli_version_and_roles_come_from_the_stack_config():
    for name in ("pr.yml", "up.yml", "first-deploy.yml"):
        text = (WORKFLOWS / name).read_text()
        assert "us-west-2" not in text, name
        assert "stacks.ci_context" in text, name
    assert "pulumi-version: ${{ matrix.pulumiVersion }}" in (WORKFLOWS / "pr.yml").read_text()
    assert "pulumi-version: ${{ needs.context.outputs.pulumiVersion }}" in (WORKFLOWS / "up.yml").read_text()
    assert "role/${{ matrix.previewRole }}" in (WORKFLOWS / "pr.yml").read_text()
    assert "role/${{ needs.context.outputs.deployRole }}" in (WORKFLOWS / "up.yml").read_text()


def test_up_refreshes_first_and_previews_do_not():
    up = next(s for s in load("up.yml")["jobs"]["up"]["steps"] if s.get("uses", "").startswith("pulumi/actions"))
    assert up["with"]["command"] == "up" and up["with"]["refresh"] is True
    preview = next(s for s in load("pr.yml")["jobs"]["preview"]["steps"] if s.get("uses", "").startswith("pulumi/actions"))
    assert "refresh" not in preview["with"]  # a Helm release's refresh reads Secrets the preview role cannot


def test_previews_run_in_the_preview_environments():
    """prod-preview has required reviewers: prod's preview runs only after approval (README)."""
    assert load("pr.yml")["jobs"]["preview"]["environment"] == "${{ matrix.stack }}-preview"


def test_first_deploy_runs_phase_one_outside_then_the_ordinary_deploy():
    jobs = load("first-deploy.yml")["jobs"]
    assert jobs["phase-one"]["runs-on"] == "ubuntu-latest"
    assert jobs["phase-one"]["environment"] == "${{ inputs.stack }}"
    assert any("scripts/first-deploy.sh" in s.get("run", "") for s in jobs["phase-one"]["steps"])
    assert jobs["phase-two"]["uses"] == "./.github/workflows/up.yml" and jobs["phase-two"]["needs"] == "phase-one"


def test_policy_pack_dependencies_are_pinned_exactly():
    root = WORKFLOWS.parents[1]
    lines = [line for line in (root / "policy" / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines and all("==" in line and not any(op in line for op in (">", "<", "~", ",")) for line in lines)
