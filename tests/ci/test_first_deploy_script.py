"""scripts/first-deploy.sh with stand-ins for the Pulumi and AWS CLIs: what it refuses and what it runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from stacks.ci_context import context, deploy_problems, pulumi_version

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "first-deploy.sh"
DEPLOY = "arn:aws:sts::123456789012:assumed-role/mlplatform-dev-deploy/GitHubActions"


def fake_clis(tmp_path: Path, caller: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    (bin_dir / "aws").write_text(f"#!/bin/sh\necho \"aws $*\" >> {log}\necho {caller}\n")
    (bin_dir / "pulumi").write_text(f"#!/bin/sh\necho \"pulumi $*\" >> {log}\n[ \"$1 $2\" = 'stack select' ] && exit 1\nexit 0\n")
    for exe in bin_dir.iterdir():
        exe.chmod(0o755)
    return bin_dir


def stack_file(tmp_path: Path, repository: str) -> Path:
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["mlplatform:ci"] = {"repository": repository}
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def run(tmp_path: Path, caller: str, repository: str, github_repository: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if k != "PULUMI_ORG"}, "PATH": f"{fake_clis(tmp_path, caller)}:{os.environ['PATH']}",
           "GITHUB_REPOSITORY": github_repository, "STACK_FILE": str(stack_file(tmp_path, repository))}
    return subprocess.run(["bash", str(SCRIPT), "dev"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)  # a hang guard; the machine may be busy


def test_first_deploy_creates_the_stack_and_runs_a_targeted_up(tmp_path):
    result = run(tmp_path, DEPLOY, "acme/mlplatform", "acme/mlplatform")
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert "pulumi stack init organization/mlplatform/dev --secrets-provider awskms://alias/mlplatform-dev-pulumi-secrets?region=us-west-2" in calls
    (up,) = [c for c in calls if c.startswith("pulumi up ")]
    assert "--yes --refresh" in up and "--policy-pack-config policy/config/dev.json" in up
    assert "--target=urn:pulumi:dev::mlplatform::mlplatform:cluster:EksCluster::cluster" in up
    assert "--target=urn:pulumi:dev::mlplatform::mlplatform:ci:DeployRunner::ci-runner" in up
    assert "ManagedNodeGroup" not in up and "kubernetes:" not in up


@pytest.mark.parametrize(("caller", "repository", "github_repository", "words"), [
    (DEPLOY, "OWNER/mlplatform", "acme/mlplatform", "is the placeholder"),
    (DEPLOY, "acme/other", "acme/mlplatform", "runs in acme/mlplatform"),
    ("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice", "acme/mlplatform", "acme/mlplatform",
     "not the deploy role mlplatform-dev-deploy"),
])
def test_first_deploy_refuses(tmp_path, caller, repository, github_repository, words):
    result = run(tmp_path, caller, repository, github_repository)
    assert result.returncode != 0 and words in result.stderr
    assert "pulumi up" not in (tmp_path / "calls.log").read_text()


def test_context_reads_region_runner_and_roles_from_the_stack_config():
    ctx = context("prod")
    assert ctx["region"] == "us-west-2" and ctx["runner"] == "mlplatform-prod-deploy-runner"
    assert (ctx["deployRole"], ctx["previewRole"]) == ("mlplatform-prod-deploy", "mlplatform-prod-preview")
    assert ctx["pulumiVersion"] == pulumi_version() and pulumi_version().count(".") == 2


def test_a_deploy_is_refused_until_the_repository_is_set():
    assert any("placeholder" in p for p in deploy_problems("prod", "acme/mlplatform", None))
