"""Node pools: one managed node group per pool, with the pool's labels, taints, IMDSv2 and disks."""

from __future__ import annotations

from components.node_pools import eks_taints, metadata_options, root_volume, scaling_config
from domain.settings import load_settings
from tests.conftest import evaluate_stack
from tests.foundation.test_settings import GPU_LARGE


def groups(ev):
    """The node group of each pool that has one (pools with a group per AZ: in zonal_groups)."""
    return {r.inputs["labels"]["node-pool"]: r for r in ev.of_type("eks:index:ManagedNodeGroup")
            if not ev.settings.pool(r.inputs["labels"]["node-pool"]).per_az}


def zonal_groups(ev, pool: str):
    return sorted((r for r in ev.of_type("eks:index:ManagedNodeGroup") if r.inputs["labels"]["node-pool"] == pool),
                  key=lambda r: r.name)


def test_one_group_per_pool_or_per_az(stack_eval):
    s = stack_eval.settings
    assert sorted(groups(stack_eval)) == sorted(p.name for p in s.pools if not p.per_az)
    for pool in (p for p in s.pools if p.per_az):
        assert len(zonal_groups(stack_eval, pool.name)) == s.network.az_count


def test_group_inputs_follow_the_pool_spec(stack_eval):
    s = stack_eval.settings
    for name, group in groups(stack_eval).items():
        pool = s.pool(name)
        i = group.inputs
        assert i["instanceTypes"] == pool.instance_types
        assert i["capacityType"] == pool.capacity_type
        assert i["amiType"] == pool.ami_type
        assert i["scalingConfig"] == {"minSize": pool.min_size, "desiredSize": pool.initial_size, "maxSize": pool.max_size}
        assert i["ignoreScalingChanges"] is False  # the live desired size is sent instead (test_day_two.py)
        assert i["version"] == s.cluster.version
        assert i["labels"]["node-pool"] == name
        assert i["taints"] == eks_taints(pool)
        assert len(i["subnetIds"]) == s.network.az_count  # every pool spans every AZ
        assert i["nodeGroupNamePrefix"] == f"{s.cluster_name}-{name}-"


def test_pool_defaults_land_on_the_groups():
    g = groups(evaluate_stack("dev"))
    assert g["gpu"].inputs["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert g["gpu"].inputs["labels"]["nvidia.com/gpu.present"] == "true"
    assert g["gpu"].inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert g["spot"].inputs["capacityType"] == "SPOT"
    assert g["spot"].inputs["taints"][0]["key"] == "spot"
    assert g["system"].inputs["taints"][0]["key"] == "CriticalAddonsOnly"
    assert zonal_groups(evaluate_stack("dev"), "monitoring")[0].inputs["taints"][0] == {
        "key": "dedicated", "value": "monitoring", "effect": "NO_SCHEDULE"}
    assert g["cpu"].inputs["taints"] == []
    for pool in ("cpu", "gpu", "spot"):
        assert g[pool].inputs["scalingConfig"]["minSize"] == 0


def test_every_launch_template_requires_imdsv2_with_one_hop_and_encrypts(stack_eval):
    templates = stack_eval.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert len(templates) == len(stack_eval.settings.pools)
    for lt in templates:
        md = lt.inputs["metadataOptions"]
        assert md["httpTokens"] == "required" and md["httpPutResponseHopLimit"] == 1
        (disk,) = lt.inputs["blockDeviceMappings"]
        assert disk["ebs"]["encrypted"] == "true" and disk["ebs"]["volumeType"] == "gp3"
    for group in groups(stack_eval).values():
        assert group.inputs["launchTemplate"]["id"].endswith("-id")


def test_node_role_is_least_privilege(stack_eval):
    attachments = [a.inputs["policyArn"] for a in stack_eval.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                   if a.name.startswith("pools-node-")]
    assert sorted(a.rsplit("/", 1)[1] for a in attachments) == [
        "AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]


def test_adding_a_gpu_pool_is_a_config_change():
    ev = evaluate_stack("dev", {"nodePools": [GPU_LARGE]})
    g = groups(ev)
    assert g["gpu-large"].inputs["instanceTypes"] == ["p5.48xlarge"]
    assert {"key": "gpu-size", "value": "large", "effect": "NO_SCHEDULE"} in g["gpu-large"].inputs["taints"]
    assert len(g) == 5  # and monitoring's groups per AZ


def test_removing_the_spot_pool_is_a_config_change():
    ev = evaluate_stack("dev", {"nodePools": [{"name": "spot", "enabled": False}]})
    assert "spot" not in groups(ev)
    assert ev.outputs["nodePools"] == ["system", "cpu", "gpu", "monitoring"]


def test_pure_builders():
    s = load_settings("dev", {"nodePools": [{"name": "gpu", "amiType": "BOTTLEROCKET_x86_64_NVIDIA"}]})
    assert root_volume(s.pool("gpu"))["device_name"] == "/dev/xvdb"
    assert root_volume(s.pool("cpu"))["device_name"] == "/dev/xvda"
    assert metadata_options()["http_put_response_hop_limit"] == 1
    assert scaling_config(s.system_pool) == {"min_size": 1, "desired_size": 2, "max_size": 3}


def test_add_ons_wait_for_the_system_pool_only():
    ev = evaluate_stack("dev")
    storage = next(r for r in ev.resources if r.type == "mlplatform:cluster:ClusterStorage")
    system = groups(ev)["system"]
    assert system.urn in storage.dependencies
    assert not any(g.urn in storage.dependencies for n, g in groups(ev).items() if n != "system")
