"""gpu-operator values: derived from the pool specs, and every key exists in the pinned chart."""

from __future__ import annotations

import pytest
import yaml

from components.gpu.operator import (
    TIME_SLICING_CONFIG_MAP,
    TIME_SLICING_PROFILE,
    gpu_operator_values,
    merged_tolerations,
    time_slicing_config_map,
)
from domain.settings.gpu_layer import gpu_layer
from tests.chart_keys import problems, skeleton
from tests.gpu.helpers import GPU_SPOT_POOL, settings

GPU_TOL = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
SPOT_TOL = {"key": "spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
SYSTEM_TOL = {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
A100 = {"name": "gpu-a100", "kind": "gpu", "instanceTypes": ["p4d.24xlarge"], "minSize": 0, "maxSize": 1,
        "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"},
                   {"key": "example.com/a100", "value": "reserved", "effect": "NoSchedule"}]}

VARIANTS = {
    "dev": ("dev", {}),
    "prod": ("prod", {}),
    "second-gpu-pool": ("prod", {"nodePools": [GPU_SPOT_POOL, A100]}),
    "time-slicing": ("dev", {"gpu": {"timeSlicingReplicas": 4}}),
    "mig-single": ("prod", {"nodePools": [A100], "gpu": {"migStrategy": "single", "migConfig": "all-1g.10gb"}}),
    "mig-mixed": ("prod", {"nodePools": [A100], "gpu": {"migStrategy": "mixed", "migConfig": "all-balanced"}}),
    "driver-installed": ("dev", {"nodePools": [{"name": "gpu", "amiType": "AL2023_x86_64_STANDARD"}]}),
}


def values(stack="dev", service_monitor=True, **config):
    return gpu_operator_values(gpu_layer(settings(stack, **config)), service_monitor=service_monitor)


def test_agents_tolerate_the_gpu_pool_taint():
    v = values()
    assert v["daemonsets"]["tolerations"] == [GPU_TOL]
    assert v["node-feature-discovery"]["worker"]["tolerations"] == [GPU_TOL]


def test_a_second_gpu_pool_brings_its_taints_deduplicated():
    v = values("prod", nodePools=[GPU_SPOT_POOL, A100])
    expected = [GPU_TOL, SPOT_TOL, {"key": "example.com/a100", "operator": "Equal", "value": "reserved",
                                    "effect": "NoSchedule"}]
    assert v["daemonsets"]["tolerations"] == expected
    assert v["node-feature-discovery"]["worker"]["tolerations"] == expected
    worker_pools = v["node-feature-discovery"]["worker"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert worker_pools == {"key": "node-pool", "operator": "In", "values": ["gpu", "gpu-spot", "gpu-a100"]}


def test_tolerations_follow_the_pool_spec_not_a_constant():
    v = values(nodePools=[{"name": "gpu", "taints": [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NoExecute"}]}])
    assert v["daemonsets"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoExecute"}]


def test_merged_tolerations_dedupes_across_pools():
    s = settings("dev", nodePools=[GPU_SPOT_POOL])
    assert merged_tolerations(s.gpu_pools) == [GPU_TOL, SPOT_TOL]


def test_operator_and_nfd_control_plane_run_on_the_system_pool():
    v = values("prod")
    for part in (v["operator"], v["node-feature-discovery"]["master"], v["node-feature-discovery"]["gc"]):
        assert part["nodeSelector"] == {"node-pool": "system"}
        assert part["tolerations"] == [SYSTEM_TOL]


@pytest.mark.parametrize(("ami", "installs"), [
    ("AL2023_x86_64_NVIDIA", False),
    ("BOTTLEROCKET_x86_64_NVIDIA", False),
    ("AL2023_x86_64_STANDARD", True),
    ("BOTTLEROCKET_x86_64", True),
])
def test_driver_and_toolkit_only_when_an_ami_lacks_them(ami, installs):
    v = values(nodePools=[{"name": "gpu", "amiType": ami}])
    assert v["driver"] == {"enabled": installs}
    assert v["toolkit"] == {"enabled": installs}


def test_one_pool_without_the_driver_turns_the_driver_on():
    labels = {"nvidia.com/gpu.deploy.driver": "false", "nvidia.com/gpu.deploy.container-toolkit": "false"}
    v = values(nodePools=[{"name": "gpu", "labels": labels},
                          {**GPU_SPOT_POOL, "amiType": "AL2023_x86_64_STANDARD"}])
    assert v["driver"]["enabled"] and v["toolkit"]["enabled"]


def test_mig_strategy_and_manager():
    v = values()
    assert v["mig"] == {"strategy": "none"} and v["migManager"] == {"enabled": False}
    v = values("prod", nodePools=[A100], gpu={"migStrategy": "single", "migConfig": "all-1g.10gb"})
    assert v["mig"] == {"strategy": "single"}
    assert v["migManager"] == {"enabled": True, "config": {"default": "all-1g.10gb"}}


def test_time_slicing_config_map_and_device_plugin_reference():
    s = settings("dev", gpu={"timeSlicingReplicas": 4})
    v = gpu_operator_values(gpu_layer(s))
    assert v["devicePlugin"] == {"config": {"name": TIME_SLICING_CONFIG_MAP, "default": TIME_SLICING_PROFILE}}
    cm = time_slicing_config_map(s.gpu)
    assert cm["metadata"]["name"] == TIME_SLICING_CONFIG_MAP and cm["metadata"]["namespace"] == "gpu-operator"
    config = yaml.safe_load(cm["data"][TIME_SLICING_PROFILE])
    assert config["version"] == "v1" and config["flags"] == {"migStrategy": "none"}
    sharing = config["sharing"]["timeSlicing"]
    assert sharing["resources"] == [{"name": "nvidia.com/gpu", "replicas": 4}]
    assert sharing["failRequestsGreaterThanOne"] is True and sharing["renameByDefault"] is False


def test_no_time_slicing_by_default():
    s = settings("dev")
    assert "devicePlugin" not in gpu_operator_values(gpu_layer(s))
    assert time_slicing_config_map(s.gpu) is None


def test_dcgm_exporter_and_its_service_monitor():
    v = values()
    assert v["dcgmExporter"]["enabled"] is True
    monitor = v["dcgmExporter"]["serviceMonitor"]
    assert monitor["enabled"] is True and "additionalLabels" not in monitor
    assert values(service_monitor=False)["dcgmExporter"]["serviceMonitor"] == {"enabled": False}


def test_skeleton_has_the_node_agent_keys():
    """Node agents take daemonsets.tolerations; there is no daemonsets.nodeSelector."""
    assert "daemonsets.tolerations" in skeleton("gpu-operator").keys
    assert not skeleton("gpu-operator").is_key("daemonsets.nodeSelector")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("service_monitor", [True, False])
def test_every_key_exists_in_the_pinned_chart(variant, service_monitor):
    stack, config = VARIANTS[variant]
    assert problems("gpu-operator", values(stack, service_monitor, **config)) == []


def test_the_key_check_catches_mistakes():
    bad = {"daemonsets": {"nodeSelector": {"node-pool": "gpu"}, "tolerations": {}},
           "node-feature-discovery": {"worker": {"tolerationz": []}}, "mig": {"strategy": ["none"]}}
    assert sorted(problems("gpu-operator", bad)) == [
        "daemonsets.nodeSelector: not a key of gpu-operator v26.7.0",
        "daemonsets.tolerations: map, but the chart's default is a list",
        "mig.strategy: list, but the chart's default is a string",
        "node-feature-discovery.worker.tolerationz: not a key of gpu-operator v26.7.0",
    ]
