"""node-group-taints: GPU, spot and system node groups carry their taints."""

import pytest
from harness import UNKNOWN, resource, violations

POLICY = "node-group-taints"
MANAGED_TYPES = ["eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup"]
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
SPOT_TAINT = {"key": "spot", "value": "true", "effect": "NO_SCHEDULE"}
SYSTEM_TAINT = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}


def group(type_, instance_types=("m6i.xlarge",), ami="AL2023_x86_64_STANDARD", capacity="ON_DEMAND", taints=(),
          labels=None):
    def listed(value):
        return value if value is UNKNOWN else list(value)

    return resource(type_, {"instanceTypes": listed(instance_types), "amiType": ami, "capacityType": capacity,
                            "taints": listed(taints), "labels": labels or {"node-pool": "cpu"}}, name="pool")


@pytest.mark.parametrize("type_", MANAGED_TYPES)
class TestManagedGroups:
    def test_plain_cpu_group_passes(self, type_):
        assert violations(POLICY, group(type_)) == []

    def test_gpu_group_with_taint_passes(self, type_):
        assert violations(POLICY, group(type_, ["g5.xlarge"], "AL2023_x86_64_NVIDIA", taints=[GPU_TAINT])) == []

    @pytest.mark.parametrize("instance_type", ["g4dn.xlarge", "g5.2xlarge", "g5g.xlarge", "g6.xlarge", "g6e.xlarge",
                                               "gr6.4xlarge", "p3.2xlarge", "p4d.24xlarge", "p4de.24xlarge",
                                               "p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge"])
    def test_gpu_instance_types_need_the_taint(self, type_, instance_type):
        found = violations(POLICY, group(type_, [instance_type]))
        assert len(found) == 1 and "nvidia.com/gpu=true:NoSchedule" in found[0]
        assert '"effect": "NO_SCHEDULE"' in found[0]

    def test_nvidia_ami_alone_makes_a_gpu_group(self, type_):
        found = violations(POLICY, group(type_, ["m6i.xlarge"], "BOTTLEROCKET_x86_64_NVIDIA"))
        assert len(found) == 1 and "NVIDIA AMI BOTTLEROCKET_x86_64_NVIDIA" in found[0]

    def test_amd_gpus_are_not_nvidia(self, type_):
        assert violations(POLICY, group(type_, ["g4ad.xlarge"])) == []

    def test_wrong_effect_or_value_fails(self, type_):
        for taint in ({**GPU_TAINT, "effect": "PREFER_NO_SCHEDULE"}, {**GPU_TAINT, "value": "false"}):
            assert violations(POLICY, group(type_, ["g5.xlarge"], taints=[taint]))

    def test_spot_group_needs_spot_taint(self, type_):
        assert violations(POLICY, group(type_, capacity="SPOT", taints=[SPOT_TAINT])) == []
        found = violations(POLICY, group(type_, capacity="SPOT"))
        assert len(found) == 1 and "spot=true:NoSchedule" in found[0]

    def test_gpu_spot_group_needs_both(self, type_):
        assert len(violations(POLICY, group(type_, ["g5.xlarge"], capacity="SPOT"))) == 2
        assert violations(POLICY, group(type_, ["g5.xlarge"], capacity="SPOT", taints=[GPU_TAINT, SPOT_TAINT])) == []

    def test_system_pool_needs_critical_addons_only(self, type_):
        labels = {"node-pool": "system"}
        assert violations(POLICY, group(type_, labels=labels, taints=[SYSTEM_TAINT])) == []
        found = violations(POLICY, group(type_, labels=labels))
        assert len(found) == 1 and "CriticalAddonsOnly" in found[0]


@pytest.mark.parametrize("type_", ["eks:index:NodeGroupV2", "eks:index:NodeGroup"])
def test_self_managed_groups(type_):
    taint_map = {"nvidia.com/gpu": {"value": "true", "effect": "NoSchedule"}}
    assert violations(POLICY, resource(type_, {"instanceType": "g5.xlarge", "taints": taint_map})) == []
    found = violations(POLICY, resource(type_, {"instanceType": "g5.xlarge"}))
    assert len(found) == 1 and 'taints={"nvidia.com/gpu": {"value": "true", "effect": "NoSchedule"}}' in found[0]
    assert violations(POLICY, resource(type_, {"instanceType": "m6i.large", "gpu": True}))
    assert violations(POLICY, resource(type_, {"instanceType": "m6i.large", "spotPrice": "0.2"}))


def test_configured_gpu_families():
    assert violations(POLICY, group(MANAGED_TYPES[0], ["g7.xlarge"])) == []
    assert violations(POLICY, group(MANAGED_TYPES[0], ["g7.xlarge"]), config={"gpuInstanceFamilies": ["g7"]})


def test_unknowns_are_not_violations():
    t = MANAGED_TYPES[0]
    assert violations(POLICY, group(t, ["g5.xlarge"], taints=UNKNOWN)) == []
    assert violations(POLICY, group(t, UNKNOWN)) == []
    unknown_types = resource(t, {"instanceTypes": UNKNOWN, "amiType": "AL2023_x86_64_STANDARD"})
    assert violations(POLICY, unknown_types) == []
    assert violations(POLICY, group(t, ["g5.xlarge"], taints=[{**GPU_TAINT, "value": UNKNOWN}])) == []
    assert violations(POLICY, group(t, capacity=UNKNOWN)) == []
