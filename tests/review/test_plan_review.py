"""The plan's review sections: verdicts match a direct run of the pack, compare, JSON."""

from __future__ import annotations

import json

from policy.mlpolicies.runner import Violation, load_stack_config, run_pack
from stacks import plan
from stacks.review.compare import flatten, settings_diff
from stacks.review.verdicts import Verdicts, policy_resources, stack_verdicts
from tests.conftest import evaluate_stack


def test_verdicts_in_the_plan_match_a_direct_run_of_the_pack(stack_eval):
    direct = run_pack(policy_resources(stack_eval.resources), load_stack_config(stack_eval.stack))
    v = stack_verdicts(stack_eval.stack, stack_eval.settings.environment, stack_eval.resources)
    assert v.violations == direct
    assert sum(v.counts().values()) == len(direct)


def test_plan_json_carries_review(capsys):
    assert plan.main(["--stack", "dev", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["policy"]["mandatoryFailures"] == 0 and set(doc["policy"]["counts"])
    assert doc["cost"]["priceDate"] and doc["cost"]["idleTotal"] > 0
    assert doc["criticalPath"]["steps"][0]["type"] == "aws:ec2/vpc:Vpc"


def test_plan_text_has_review_sections(capsys):
    assert plan.main(["--stack", "prod"]) == 0
    out = capsys.readouterr().out
    for heading in ("== Policy verdicts ==", "== Cost estimate ==", "== Deployment critical path =="):
        assert heading in out
    assert "prices of 20" in out


def test_mandatory_violation_fails_the_plan(monkeypatch, capsys):
    def failing(stack, environment, resources):
        return Verdicts("policy/config/dev.json", ["gpu-limits-required"],
                        [Violation("gpu-limits-required", "mandatory", "bad-pod", "no GPU limit")])

    monkeypatch.setattr(plan, "stack_verdicts", failing)
    assert plan.main(["--stack", "dev"]) == 1
    captured = capsys.readouterr()
    assert "[mandatory] gpu-limits-required on bad-pod: no GPU limit" in captured.out
    assert "1 mandatory policy violations" in captured.err


def test_compare_dev_prod(capsys):
    assert plan.main(["--compare", "dev", "prod"]) == 0
    out = capsys.readouterr().out
    assert "network.natGateways" in out and '"single"' in out and '"per_az"' in out
    assert "Monthly cost (at rest / peak)" in out
    diff = dict((k, (a, b)) for k, a, b in settings_diff(evaluate_stack("dev").settings, evaluate_stack("prod").settings))
    assert diff["network.azCount"] == (2, 3)
    assert diff["nodePools[system].minSize"] == (1, 3)


def test_compare_json(capsys):
    assert plan.main(["--compare", "dev", "staging", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["stacks"] == ["dev", "staging"] and doc["settings"] and doc["cost"]["dev"]["idleTotal"] > 0


def test_flatten_keys_pools_by_name():
    assert flatten({"a": {"b": 1}, "p": [{"name": "x", "m": 2}]}) == {"a.b": 1, "p[x].m": 2}
