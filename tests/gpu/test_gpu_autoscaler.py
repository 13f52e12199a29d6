"""Cluster Autoscaler: least-privilege IAM, expander priorities, GPU-safe scale-down, chart keys."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from components.gpu.autoscaler import (
    PRIORITY_FALLBACK,
    READ_ACTIONS,
    WRITE_ACTIONS,
    autoscaler_args,
    autoscaler_policy,
    autoscaler_values,
    expander_priorities,
    node_group_pattern,
)
from domain.settings.gpu_layer import gpu_layer
from domain.versions import IMAGES, KUBERNETES_VERSION
from tests.chart_keys import problems, skeleton
from tests.gpu.helpers import GPU_SPOT_POOL, settings

ROLE_ARN = "arn:aws:iam::123456789012:role/autoscaler"
SYSTEM_TOL = {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def statements(cluster="mlplatform-prod", region="us-west-2", account="123456789012"):
    doc = json.loads(autoscaler_policy(cluster, region, account))
    assert doc["Version"] == "2012-10-17"
    return {s["Sid"]: s for s in doc["Statement"]}


def test_no_statement_allows_every_action():
    for s in statements().values():
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        assert s["Effect"] == "Allow"
        assert "*" not in actions and all(not a.endswith(":*") for a in actions)


def test_writes_are_limited_to_this_clusters_node_groups():
    write = statements()["ScaleThisClustersNodeGroups"]
    assert sorted(write["Action"]) == sorted(WRITE_ACTIONS) == [
        "autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
    assert write["Condition"] == {"StringEquals": {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/mlplatform-prod": "owned",
        "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true"}}
    writes = {a for s in statements().values() if "Condition" not in s for a in s["Action"]}
    assert not writes & set(WRITE_ACTIONS)


def test_reads_and_node_group_description():
    s = statements()
    read = s["ReadAutoScalingAndInstanceTypes"]
    assert read["Resource"] == "*" and "Condition" not in read
    assert set(read["Action"]) == set(READ_ACTIONS)
    assert {a for a in read["Action"] if a.startswith("autoscaling:")} <= {
        "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
        "autoscaling:DescribeTags"}
    assert {"ec2:DescribeLaunchTemplateVersions", "ec2:DescribeInstanceTypes", "ec2:DescribeImages",
            "ec2:GetInstanceTypesFromInstanceRequirements"} <= set(read["Action"])
    describe = s["DescribeThisClustersNodeGroups"]
    assert describe["Action"] == ["eks:DescribeNodegroup"]
    assert describe["Resource"] == "arn:aws:eks:us-west-2:123456789012:nodegroup/mlplatform-prod/*/*"


def asg(cluster: str, pool: str) -> str:
    """An ASG name as EKS creates it for a managed node group named with our prefix."""
    return f"eks-{cluster}-{pool}-20260101120000123400000001-4ec8a4b2-1a2b-3c4d-5e6f-0123456789ab"


def priority_of(priorities: dict[int, list[str]], name: str) -> int:
    return max(p for p, patterns in priorities.items() if any(re.search(x, name) for x in patterns))


def test_priority_expander_prefers_cheap_pools_then_gpus():
    s = settings("prod", nodePools=[GPU_SPOT_POOL])
    priorities = expander_priorities(gpu_layer(s))
    cluster = s.cluster_name
    ranked = {pool: priority_of(priorities, asg(cluster, pool)) for pool in ("spot", "cpu", "gpu-spot", "gpu")}
    assert ranked["spot"] > ranked["cpu"] > ranked["gpu-spot"] > ranked["gpu"] > PRIORITY_FALLBACK
    assert priorities[PRIORITY_FALLBACK] == [".*"]
    assert list(priorities) == sorted(priorities, reverse=True)


def test_gpu_pools_are_matched_by_node_group_name():
    s = settings("prod", nodePools=[GPU_SPOT_POOL, {"name": "gpu-2", "kind": "gpu", "minSize": 0, "maxSize": 1}])
    gpu = next(p for p in s.pools if p.name == "gpu")
    pattern = node_group_pattern(s.cluster_name, gpu)
    assert pattern.startswith("mlplatform-prod-gpu-")
    assert re.search(pattern, asg("mlplatform-prod", "gpu"))
    for other in ("gpu-spot", "gpu-2", "cpu"):
        assert not re.search(pattern, asg("mlplatform-prod", other)), other
    assert not re.search(pattern, asg("mlplatform-staging", "gpu"))


def test_per_az_pools_are_matched_in_every_zone():
    s = settings("prod")
    monitoring = next(p for p in s.pools if p.name == "monitoring")
    assert monitoring.per_az
    pattern = node_group_pattern(s.cluster_name, monitoring)
    for zone in ("-az1", "-az3"):
        assert re.search(pattern, asg("mlplatform-prod", "monitoring" + zone))
    assert not re.search(node_group_pattern(s.cluster_name, next(p for p in s.pools if p.name == "gpu")),
                         asg("mlplatform-prod", "gpu-az1"))


def test_priorities_are_rendered_as_yaml_with_integer_keys():
    v = autoscaler_values(gpu_layer(settings("dev")), ROLE_ARN)
    doc = yaml.safe_load(v["expanderPriorities"])
    assert all(isinstance(k, int) for k in doc) and doc == expander_priorities(gpu_layer(settings("dev")))
    assert v["extraArgs"]["expander"] == "priority,least-waste"


def test_least_waste_alternative_has_no_priorities():
    v = autoscaler_values(gpu_layer(settings("dev", gpu={"autoscaler": {"expander": "least-waste"}})), ROLE_ARN)
    assert v["extraArgs"]["expander"] == "least-waste" and "expanderPriorities" not in v


def test_scale_down_never_pins_or_reclaims_gpu_nodes_blindly():
    args = autoscaler_args(gpu_layer(settings("prod")))
    assert args["skip-nodes-with-local-storage"] == "false"
    assert args["skip-nodes-with-system-pods"] == "true"
    assert args["balance-similar-node-groups"] == "true"
    assert args["scale-down-unneeded-time"] == "10m" and args["scale-down-delay-after-add"] == "10m"
    assert args["scale-down-utilization-threshold"] == "0.5"
    assert args["scale-down-gpu-utilization-threshold"] == "0.5"
    assert args["max-graceful-termination-sec"] == "600"
    assert args["expendable-pods-priority-cutoff"] == "-10"
    assert args["max-node-provision-time"] == "20m"
    assert all(isinstance(v, str) for v in args.values())


def test_scale_down_settings_come_from_config():
    s = settings("dev", gpu={"autoscaler": {"scaleDownUnneededTime": "30m", "maxGracefulTerminationSec": 1800,
                                            "scaleDownGpuUtilizationThreshold": 0.3}})
    args = autoscaler_args(gpu_layer(s))
    assert args["scale-down-unneeded-time"] == "30m" and args["max-graceful-termination-sec"] == "1800"
    assert args["scale-down-gpu-utilization-threshold"] == "0.3"


def test_every_flag_is_a_cluster_autoscaler_flag():
    """extraArgs is free-form in the chart; its known flags are the keys (upstream and extra) below it. The chart
    ignores everything after the first _ of a key (balancing-ignore-label_1, _2, ...)."""
    known = skeleton("cluster-autoscaler").children("extraArgs")
    for flag in autoscaler_args(gpu_layer(settings("prod"))):
        assert flag.split("_", 1)[0] in known, flag


def test_image_matches_the_kubernetes_minor():
    v = autoscaler_values(gpu_layer(settings("prod")), ROLE_ARN)
    assert f"{v['image']['repository']}:{v['image']['tag']}" == IMAGES["cluster-autoscaler"]
    assert v["image"]["repository"] == "registry.k8s.io/autoscaling/cluster-autoscaler"
    assert v["image"]["tag"].startswith(f"v{KUBERNETES_VERSION}.")


@pytest.mark.parametrize(("stack", "replicas"), [("dev", 1), ("staging", 2), ("prod", 2)])
def test_replicas_pdb_and_spread(stack, replicas):
    v = autoscaler_values(gpu_layer(settings(stack)), ROLE_ARN)
    assert v["replicaCount"] == replicas
    assert v["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert ("topologySpreadConstraints" in v) == (replicas > 1)


def test_runs_on_the_system_pool_with_its_irsa_role():
    s = settings("prod")
    v = autoscaler_values(gpu_layer(s), ROLE_ARN)
    assert v["nodeSelector"] == {"node-pool": "system"} and v["tolerations"] == [SYSTEM_TOL]
    assert v["autoDiscovery"] == {"clusterName": "mlplatform-prod"}
    assert v["awsRegion"] == s.region and v["cloudProvider"] == "aws"
    assert v["rbac"]["serviceAccount"] == {"create": True, "name": "cluster-autoscaler",
                                           "annotations": {"eks.amazonaws.com/role-arn": ROLE_ARN}}
    assert v["securityContext"]["runAsNonRoot"] is True
    assert v["containerSecurityContext"]["readOnlyRootFilesystem"] is True


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("expander", ["priority", "least-waste"])
def test_every_key_exists_in_the_pinned_chart(stack, expander):
    s = settings(stack, gpu={"autoscaler": {"expander": expander}})
    assert problems("cluster-autoscaler", autoscaler_values(gpu_layer(s), ROLE_ARN)) == []
