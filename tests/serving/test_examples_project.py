"""The examples project (a team's serving program) evaluated under mocks on the dev platform stack, and planned."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml

from stacks.offline import evaluate_project
from stacks.plan import main, review

ROOT = Path(__file__).resolve().parents[2]


@cache
def project():
    ev = evaluate_project(ROOT / "examples", "dev")
    return ev, review(ev)


def named(ev, typ, name):
    (r,) = [r for r in ev.resources if r.type == typ and r.name == name]
    return r


def test_the_project_deploys_a_canary_a_processing_service_and_a_batch_worker():
    ev, _ = project()
    counts = Counter(r.type for r in ev.resources if r.is_resource)
    assert counts["kubernetes:apps/v1:Deployment"] == 4  # llm-stable, llm-canary, batch-worker, preprocess
    assert counts["kubernetes:keda.sh/v1alpha1:ScaledObject"] == 4
    assert counts["aws:sqs/queue:Queue"] == 2  # the work queue and its dead-letter queue
    ingress = named(ev, "kubernetes:networking.k8s.io/v1:Ingress", "llm")
    action = json.loads(ingress.inputs["metadata"]["annotations"]["alb.ingress.kubernetes.io/actions.llm-weighted"])
    assert [(t["serviceName"], t["weight"]) for t in action["forwardConfig"]["targetGroups"]] == [
        ("llm-stable", 90), ("llm-canary", 10)]
    assert ingress.inputs["metadata"]["annotations"]["alb.ingress.kubernetes.io/certificate-arn"].startswith(
        "arn:aws:acm:")


def test_runtime_values_come_from_the_platform_stack_outputs():
    ev, _ = project()
    sa = named(ev, "kubernetes:core/v1:ServiceAccount", "llm")
    role = named(ev, "aws:iam/role:Role", "llm-pods")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Condition"]["StringEquals"] == {
        "oidc.eks.us-west-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF:sub": "system:serviceaccount:ml-serving:llm",
        "oidc.eks.us-west-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF:aud": "sts.amazonaws.com"}
    assert sa.inputs["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(":role/llm-pods")
    policy = json.loads(named(ev, "aws:iam/rolePolicy:RolePolicy", "llm-pods").inputs["policy"])
    reads = next(s for s in policy["Statement"] if s["Sid"] == "ReadModelArtifacts")
    assert reads["Resource"] == ["arn:aws:s3:::mlplatform-dev-mlflow-123456789012-us-west-2/artifacts/12/*"]
    scaler = named(ev, "aws:iam/role:Role", "batch-scaler")
    assert scaler.inputs["path"] == "/keda-scalers/"
    assert json.loads(scaler.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::123456789012:role/keda-operator"}
    queue = named(ev, "aws:sqs/queue:Queue", "batch-queue")
    assert queue.inputs["kmsMasterKeyId"] == "alias/aws/sqs"
    assert json.loads(queue.inputs["redrivePolicy"])["maxReceiveCount"] == 3


def test_the_pack_passes_and_a_batch_service_at_rest_costs_nothing():
    _, rv = project()
    assert [str(v) for v in rv.verdicts.violations] == []
    lines = {line.item: line for line in rv.cost.lines}
    batch = lines["serving ml-serving/batch-worker"]
    assert batch.idle == 0 and batch.peak > 0
    assert lines["serving ml-serving/llm-stable"].idle > 0  # online keeps a warm replica


def test_plan_command_prints_the_project(capsys):
    assert main(["--project", "examples", "--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert "project 'mlplatform-examples' stack 'dev' on platform stack 'dev'" in out
    assert "serving ml-serving/batch-worker" in out and "0 violations" in out


def test_bad_config_fails_before_any_resource(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "examples" / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((ROOT / "examples" / "__main__.py").read_text().replace(
        "parent.parent", "parent").replace("sys.path.insert(0, str(Path(__file__).resolve().parent))",
                                           f"sys.path.insert(0, {str(ROOT)!r})"))
    config = yaml.safe_load((ROOT / "examples" / "Pulumi.dev.yaml").read_text())
    config["config"]["mlplatform-examples:llm"]["versions"][0]["weight"] = 50
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(Exception) as err:
        evaluate_project(tmp_path, "dev")
    assert "weights sum to 60" in str(err.value)
    assert not [r for r in err.value.planned if r.custom]


def test_the_plan_shows_exports_and_the_digest_gap():
    ev, _ = project()
    assert ev.outputs["llmUrl"] == "https://llm.dev.example.com"
    assert ev.outputs["batchQueueUrl"].startswith("https://sqs.us-west-2.amazonaws.com/123456789012/")
    # The MLflow image has no digest on record here, and the team's images carry the all-zero placeholder
    # until CI writes their build digests: the gaps are exported and printed, not hidden.
    gaps = ev.outputs["imagesWithoutDigest"]
    assert "docker.io/burakince/mlflow:3.15.1" in gaps
    placeholders = [i for i in gaps if i.endswith("@sha256:" + "0" * 64)]
    assert {i.split("/")[-1].split(":")[0] for i in placeholders} == {"llm-server", "feature-preprocess", "batch-worker"}
    assert len(gaps) == 1 + len(placeholders)


def test_plan_json_names_the_project(capsys):
    assert main(["--project", "examples", "--stack", "dev", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["project"], doc["stack"], doc["policy"]["mandatoryFailures"]) == ("mlplatform-examples", "dev", 0)
    assert doc["cost"]["idleTotal"] < doc["cost"]["peakTotal"]
