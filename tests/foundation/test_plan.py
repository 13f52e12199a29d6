"""The offline plan: readable text, JSON with secrets masked, clear failure on bad settings."""

from __future__ import annotations

import json

from stacks import plan


def test_text_plan_of_dev(capsys):
    assert plan.main(["--stack", "dev"]) == 0
    out = capsys.readouterr().out
    for heading in ("== Resources by type ==", "== Node pools ==", "== Outputs =="):
        assert heading in out
    assert "gpu         gpu" in out and "nvidia.com/gpu=true:NoSchedule" in out
    assert "kubeconfig: \"[secret]\"" in out
    assert "clusterName: \"mlplatform-dev\"" in out


def test_json_plan_masks_secrets(capsys):
    assert plan.main(["--stack", "prod", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["environment"] == "prod" and doc["resourceCount"] > 50
    assert doc["outputs"]["kubeconfig"] == "[secret]"
    types = {r["type"] for r in doc["resources"]}
    assert "eks:index:ManagedNodeGroup" in types
    for r in doc["resources"]:
        assert set(r) >= {"type", "name", "parent", "inputs"}
    assert "mock-" not in json.dumps(doc["outputs"])


def test_invalid_settings_exit_non_zero_with_the_message(tmp_path, capsys):
    bad = tmp_path / "Pulumi.dev.yaml"
    bad.write_text("config:\n  mlplatform:nodePools:\n    - name: gpu\n      minSize: 5\n      maxSize: 1\n")
    assert plan.main(["--stack", "dev", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "mlplatform:nodePools[gpu]: minSize (5) > maxSize (1)" in err and "Fix:" in err


def test_unknown_stack_exits_non_zero(capsys):
    assert plan.main(["--stack", "qa"]) == 2
    assert "Pulumi.qa.yaml" in capsys.readouterr().err


def test_table_helper():
    assert plan.table(["a", "bb"], [[1, 2]]).splitlines() == ["a  bb", "-  --", "1  2 "]
