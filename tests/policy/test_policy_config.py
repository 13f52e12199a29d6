"""The pack's view of the platform (policy/config/<stack>.json) is generated from each stack's settings."""

import ast

import pytest
from harness import REPO_ROOT, run_pack

from components.gpu.operator import AGENT_TOLERATION_PATHS, gpu_operator_values
from domain.settings.gpu_layer import gpu_layer
from domain.settings.node_pools import Taint
from policy.mlpolicies.runner import load_stack_config
from stacks import policy_config


@pytest.mark.parametrize("stack", policy_config.stacks())
def test_config_files_are_up_to_date(stack):
    path = policy_config.CONFIG_DIR / f"{stack}.json"
    assert path.read_text() == policy_config.expected(stack), "Fix: python -m stacks.policy_config"


def test_check_command_fails_on_a_stale_file(tmp_path, monkeypatch, capsys):
    for stack in policy_config.stacks():
        (tmp_path / f"{stack}.json").write_text((policy_config.CONFIG_DIR / f"{stack}.json").read_text())
    monkeypatch.setattr(policy_config, "CONFIG_DIR", tmp_path)
    assert policy_config.main(["--check"]) == 0
    stale = load_stack_config("prod")
    stale["node-group-taints"]["nodePoolTaints"]["gpu"] = []
    (tmp_path / "prod.json").write_text(policy_config.render(stale))
    assert policy_config.main(["--check"]) == 1
    assert "prod.json" in capsys.readouterr().err
    assert policy_config.main([]) == 0 and policy_config.main(["--check"]) == 0


def test_a_new_pools_taint_reaches_the_pack():
    settings = policy_config.stack_settings("prod")
    view = policy_config.platform_view(settings)
    assert view["nodePoolTaints"]["monitoring"] == [{"key": "dedicated", "value": "monitoring", "effect": "NoSchedule"}]
    assert view["gpuNodePools"] == [p.name for p in settings.pools if p.kind == "gpu"]
    pool = settings.pools[1].model_copy(update={"name": "batch", "taints": [Taint(key="example.com/batch", value="true")]})
    settings = settings.model_copy(update={"node_pools": [*settings.node_pools, pool]})
    view = policy_config.platform_view(settings)
    assert view["nodePoolTaints"]["batch"] == [{"key": "example.com/batch", "value": "true", "effect": "NoSchedule"}]
    # ... and a node group of that pool without it is a violation.
    config = policy_config.with_platform_view(load_stack_config("prod"), view)
    group = {"type": "eks:index:ManagedNodeGroup", "name": "batch", "props": {
        "instanceTypes": ["m6i.xlarge"], "labels": {"node-pool": "batch"}, "taints": [], "launchTemplate": {"id": "lt"}}}
    found = [v for v in run_pack([group], config) if v.policy_name == "node-group-taints"]
    assert len(found) == 1 and "example.com/batch=true:NoSchedule" in found[0].message


def test_gpu_operator_toleration_paths_are_where_the_values_put_them():
    settings = policy_config.stack_settings("prod")
    values = gpu_operator_values(gpu_layer(settings))
    for path in AGENT_TOLERATION_PATHS:
        node = values
        for step in path.split("."):
            node = node[step]
        assert node and all(t in node for p in settings.gpu_pools for t in p.tolerations)


def test_every_platform_chart_is_known_to_the_pack():
    from domain.versions import CHARTS

    for stack in policy_config.stacks():
        config = load_stack_config(stack)["gpu-workloads-readable"]
        known = set(config["gpuCharts"]) | set(config["chartTolerationPaths"]) | set(config["chartGpuRequestPaths"])
        assert {pin.chart for pin in CHARTS.values()} <= known


def test_the_pack_imports_neither_domain_nor_stacks():
    """The pack is published alone: everything it knows about the platform comes through its config."""
    for path in (REPO_ROOT / "policy").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for name in names:
                assert name.split(".")[0] not in ("domain", "stacks", "components", "examples"), (path, name)
