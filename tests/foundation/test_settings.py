"""Settings: per-environment defaults, pools as data, and invalid input rejected with key and fix."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.settings import PlatformSettings, SettingsError, load_settings
from domain.settings.loader import deep_merge, merge_pools

GPU_LARGE = {"name": "gpu-large", "kind": "gpu", "instanceTypes": ["p5.48xlarge"], "minSize": 0, "maxSize": 2,
             "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"},
                        {"key": "gpu-size", "value": "large", "effect": "NoSchedule"}]}

# (stack, config, config key the error must name, words the message must contain)
INVALID = [
    ("dev", {"nodePools": [{"name": "gpu", "minSize": 3, "maxSize": 1}]}, "mlplatform:nodePools[gpu]", "minSize (3) > maxSize (1)"),
    ("dev", {"nodePools": [{"name": "gpu", "instanceTypes": ["m6i.xlarge"]}]}, "mlplatform:nodePools[gpu]", "non-GPU instance types"),
    ("dev", {"nodePools": [{"name": "cpu", "instanceTypes": ["g5.xlarge"]}]}, "mlplatform:nodePools[cpu]", "GPU instance types"),
    ("dev", {"nodePools": [{"name": "spot", "instanceTypes": ["m6i.2xlarge"]}]}, "mlplatform:nodePools[spot]", "at least 3"),
    ("qa", {}, "mlplatform:environment", "unknown environment 'qa'"),
    ("dev", {"network": {"vpcCidr": "10.0.0.0/33"}}, "mlplatform:network.vpcCidr", "not a valid IPv4 network"),
    ("dev", {"network": {"vpcCidr": "10.0.0.1/16"}}, "mlplatform:network.vpcCidr", "not a valid IPv4 network"),
    ("dev", {"network": {"vpcCidr": "10.0.0.0/24"}}, "mlplatform:network.vpcCidr", "/16 to /20"),
    ("dev", {"network": {"vpcCidr": "8.0.0.0/16"}}, "mlplatform:network.vpcCidr", "not a private range"),
    ("prod", {"cluster": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}},
     "mlplatform:cluster.publicAccessCidrs", "open to 0.0.0.0/0"),
    ("dev", {"nodePools": [{"name": "cpu", "kind": "cpu", "instanceTypes": ["m6i.large"], "minSize": 0, "maxSize": 2},
                           {"name": "cpu", "kind": "cpu", "instanceTypes": ["m6i.large"], "minSize": 0, "maxSize": 2}]},
     "mlplatform:nodePools", "duplicate pool names ['cpu']"),
    ("dev", {"nodePools": [{"name": "gpu", "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoRun"}]}]},
     "mlplatform:nodePools[gpu].taints[0].effect", "'NoSchedule', 'PreferNoSchedule' or 'NoExecute'"),
    ("dev", {"nodePools": [{"name": "gpu", "taints": []}]}, "mlplatform:nodePools[gpu]", "must carry the taint nvidia.com/gpu"),
    ("dev", {"nodePools": [{"name": "spot", "taints": []}]}, "mlplatform:nodePools[spot]", "SPOT pool must carry the taint"),
    ("dev", {"nodePools": [{"name": "system", "minSize": 0}]}, "mlplatform:nodePools[system]", "cannot scale to zero"),
    ("dev", {"nodePools": [{"name": "system", "enabled": False}]}, "mlplatform:nodePools", "found 0 enabled pools of kind 'system'"),
    ("dev", {"nodePools": [{"name": "gpu", "instanceTypes": ["g4ad.xlarge"]}]}, "mlplatform:nodePools[gpu]", "AMD GPUs"),
    ("dev", {"nodePools": [{"name": "gpu", "instanceTypes": ["g5.xlarge", "g5.12xlarge"]}]}, "mlplatform:nodePools[gpu]", "different GPU counts"),
    ("dev", {"nodePools": [{"name": "cpu", "instanceTypes": ["m7g.large"]}]}, "mlplatform:nodePools[cpu]", "does not match"),
    ("dev", {"nodePools": [{"name": "cpu", "instanceTypes": ["m9x.huge"]}]}, "mlplatform:nodePools[cpu].instanceTypes", "domain/catalog.py"),
    ("dev", {"nodePools": [{"name": "cpu", "amiType": "AL2_x86_64"}]}, "mlplatform:nodePools[cpu].amiType", "AL2 is retired"),
    ("dev", {"nodePools": [{"name": "cpu", "amiType": "AL2023_x86_64_NVIDIA"}]}, "mlplatform:nodePools[cpu]", "STANDARD AMI"),
    ("dev", {"nodePools": [{"name": "Bad_Name", "kind": "cpu", "instanceTypes": ["m6i.large"], "minSize": 0, "maxSize": 1}]},
     "mlplatform:nodePools[Bad_Name].name", "not a valid pool name"),
    ("dev", {"nodePools": [{"name": "cpu", "kind": "tpu"}]}, "mlplatform:nodePools[cpu].kind", "Input should be"),
    ("dev", {"nodePools": [{"name": "cpu", "desiredSize": 9}]}, "mlplatform:nodePools[cpu]", "desiredSize (9) is outside"),
    ("dev", {"nodePools": [{"name": "cpu", "minSize": -1}]}, "mlplatform:nodePools[cpu].minSize", "greater than or equal to 0"),
    ("dev", {"cluster": {"endpointPublicAccess": True, "publicAccessCidrs": []}}, "mlplatform:cluster", "empty publicAccessCidrs"),
    ("dev", {"cluster": {"publicAccessCidrs": ["203.0.113.0/33"]}}, "mlplatform:cluster.publicAccessCidrs", "not a valid CIDR"),
    ("dev", {"cluster": {"adminPrincipalArns": ["alice"]}}, "mlplatform:cluster.adminPrincipalArns", "not an IAM role or user ARN"),
    ("dev", {"cluster": {"logTypes": ["api"]}}, "mlplatform:cluster.logTypes", "must stay enabled"),
    ("dev", {"cluster": {"version": "1.34.2"}}, "mlplatform:cluster.version", "Kubernetes minor version"),
    ("dev", {"cluster": {"addonVersions": {"istio": "1.0"}}}, "mlplatform:cluster.addonVersions", "unknown add-ons"),
    ("dev", {"cluster": {"volumeReclaimPolicy": "Recycle"}}, "mlplatform:cluster.volumeReclaimPolicy", "not a reclaim policy"),
    ("dev", {"network": {"azCount": 5}}, "mlplatform:network.azCount", "less than or equal to 3"),
    ("dev", {"network": {"natGateways": "none"}}, "mlplatform:network.natGateways", "Input should be"),
    ("dev", {"clustr": {}}, "mlplatform:clustr", "unknown config key"),
    ("dev", {"cluster": {"endpointPublicAcces": True}}, "mlplatform:cluster.endpointPublicAcces", "unknown key"),
    ("prod", {"network": {"azCount": 2}}, "mlplatform:network.azCount", "prod needs 3 AZs"),
    ("prod", {"nodePools": [{"name": "system", "minSize": 2}]}, "mlplatform:nodePools[system].minSize",
     "a system node in each of its 3 AZs"),
    ("prod", {"network": {"natGateways": "single"}}, "mlplatform:network.natGateways", "NAT gateway per AZ"),
    ("prod", {"protectStatefulResources": False}, "mlplatform:protectStatefulResources", "must be protected"),
    ("prod", {"cluster": {"deletionProtection": False}}, "mlplatform:cluster.deletionProtection", "deletion protection"),
    ("dev", {"tags": {"aws:owner": "me"}}, "mlplatform:tags", "not a valid AWS tag"),
]


@pytest.mark.parametrize(("stack", "config", "key", "words"), INVALID, ids=[f"{c[2]}:{c[3][:30]}" for c in INVALID])
def test_invalid_settings_name_the_key_and_the_fix(stack, config, key, words):
    with pytest.raises(SettingsError) as err:
        load_settings(stack, config)
    message = str(err.value)
    line = next((p for p in err.value.problems if p.startswith(key + ":")), None)
    assert line is not None, f"no problem names {key}:\n{message}"
    assert words in line, message
    assert "Fix:" in line, f"no fix in: {line}"


def test_at_least_thirty_invalid_cases():
    assert len(INVALID) >= 30


def test_invalid_region_is_rejected():
    with pytest.raises(SettingsError, match=r"mlplatform:region: 'mars-1' is not an AWS region"):
        load_settings("dev", {}, region="mars-1")


def test_several_problems_are_reported_together():
    with pytest.raises(SettingsError) as err:
        load_settings("dev", {"network": {"vpcCidr": "bad"}, "nodePools": [{"name": "gpu", "minSize": 9}]})
    assert len(err.value.problems) == 2


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_environment_has_valid_defaults(stack):
    s = load_settings(stack, {})
    assert isinstance(s, PlatformSettings)
    assert [p.name for p in s.pools] == ["system", "cpu", "gpu", "spot", "monitoring"]
    assert s.cluster_name == f"mlplatform-{stack}"


def test_dev_is_cheap():
    s = load_settings("dev", {})
    assert s.network.nat_gateways == "single" and s.network.az_count == 2
    assert all(s.pool(n).min_size == 0 for n in ("cpu", "gpu", "spot"))
    assert s.system_pool.min_size <= 2
    assert not s.protect_stateful_resources


def test_prod_is_safe():
    s = load_settings("prod", {})
    assert s.network.nat_gateways == "per_az" and s.network.az_count == 3
    assert not s.cluster.endpoint_public_access
    assert s.system_pool.min_size >= 3 and s.pool("cpu").min_size >= 2 and s.pool("monitoring").min_size >= 2
    assert s.protect_stateful_resources and s.cluster.deletion_protection
    assert s.cluster.volume_reclaim_policy == "Retain"


def test_pool_kind_defaults():
    s = load_settings("dev", {})
    gpu, spot, system, mon, cpu = (s.pool(n) for n in ("gpu", "spot", "system", "monitoring", "cpu"))
    assert gpu.ami_type == "AL2023_x86_64_NVIDIA"
    assert [str(t) for t in gpu.taints] == ["nvidia.com/gpu=true:NoSchedule"]
    assert gpu.node_labels == {"nvidia.com/gpu.present": "true", "k8s.amazonaws.com/accelerator": "nvidia",
                               "node-pool": "gpu"}
    assert spot.capacity_type == "SPOT" and len(spot.instance_types) >= 3
    assert [str(t) for t in system.taints] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert [str(t) for t in mon.taints] == ["dedicated=monitoring:NoSchedule"]
    assert cpu.taints == [] and cpu.node_labels == {"node-pool": "cpu"}


def test_second_gpu_pool_is_config_only():
    s = load_settings("dev", {"nodePools": [GPU_LARGE]})
    large = s.pool("gpu-large")
    assert large.kind == "gpu" and large.gpus_per_node == 8 and large.max_gpus == 16
    assert large.ami_type == "AL2023_x86_64_NVIDIA"  # from the kind
    assert [p.name for p in s.gpu_pools] == ["gpu", "gpu-large"]


def test_removing_the_spot_pool_is_config_only():
    s = load_settings("dev", {"nodePools": [{"name": "spot", "enabled": False}]})
    assert s.pool("spot") is None
    assert "spot" not in [p.name for p in s.pools]


def test_config_overrides_one_field_and_keeps_the_rest():
    s = load_settings("prod", {"nodePools": [{"name": "gpu", "maxSize": 16}]})
    assert s.pool("gpu").max_size == 16 and s.pool("gpu").min_size == 0
    assert s.pool("gpu").instance_types == ["g5.xlarge", "g6.xlarge", "g4dn.xlarge"]


def test_environment_defaults_to_stack_name_and_can_be_set():
    assert load_settings("staging", {}).environment == "staging"
    s = load_settings("perf-test", {"environment": "staging"})
    assert s.environment == "staging" and s.cluster_name == "mlplatform-perf-test"


def test_deep_merge_and_pool_merge():
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}
    merged = merge_pools([{"name": "x", "minSize": 1}], [{"name": "x", "maxSize": 2}, {"name": "y"}])
    assert merged == [{"name": "x", "minSize": 1, "maxSize": 2}, {"name": "y"}]


def test_subnet_layout_fits_in_the_vpc():
    s = load_settings("prod", {"network": {"vpcCidr": "10.20.0.0/18"}})
    assert s.network.private_subnet_cidrs() == ["10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20"]
    assert s.network.public_subnet_cidrs() == ["10.20.48.0/24", "10.20.49.0/24", "10.20.50.0/24"]


def test_settings_are_immutable():
    s = load_settings("dev", {})
    with pytest.raises(ValidationError):
        s.environment = "prod"
