"""Malformed input never crashes the pack: every policy, driven with mutated resources of each type it
handles, reports a violation or ignores the resource, and never raises (which would fail the whole preview)."""

from __future__ import annotations

import copy
from typing import Any

from harness import UNKNOWN, gpu_pod, load_stack_config, resource, run_pack, workload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_policy import StackValidationPolicy
from test_kinds import KINDS, Pod

from policy.mlpolicies import POLICIES

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}


def seeds() -> list[dict[str, Any]]:
    """One well-formed resource of every type some policy handles."""
    kinds = [workload(kind, gpu_pod()) for kind in ("Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob",
                                                    "InferenceService", "PyTorchJob", "RayCluster", "RayJob")]
    kinds += [k.build(Pod()) for k in KINDS]
    return kinds + [
        resource("eks:index:ManagedNodeGroup", {"instanceTypes": ["g5.xlarge"], "amiType": "AL2023_x86_64_NVIDIA",
                                                "capacityType": "SPOT", "labels": {"node-pool": "gpu"},
                                                "taints": [GPU_TAINT], "launchTemplate": {"id": "lt", "version": "1"}}),
        resource("eks:index:NodeGroupV2", {"instanceType": "g5.xlarge", "spotPrice": "1",
                                           "taints": {"nvidia.com/gpu": {"value": "true", "effect": "NoSchedule"}}}),
        resource("aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["p4d.24xlarge"], "taints": [GPU_TAINT]}),
        resource("eks:index:Cluster", {"endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8"],
                                       "encryptionConfigKeyArn": "arn"}),
        resource("aws:eks/cluster:Cluster", {"vpcConfig": {"endpointPublicAccess": False},
                                             "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "k"}}}),
        resource("aws:ec2/launchTemplate:LaunchTemplate", {"metadataOptions": {"httpTokens": "required",
                                                                               "httpPutResponseHopLimit": 1}}),
        resource("kubernetes:helm.sh/v3:Release", {"chart": "gpu-operator", "values": {
            "daemonsets": {"tolerations": [{"operator": "Exists"}]}}}),
        resource("kubernetes:helm.sh/v3:Release", {"chart": "vllm-stack", "values": {"servingEngineSpec": {
            "tolerations": [{"operator": "Exists"}], "modelSpec": [{"name": "m", "requestGPU": 1}]}}}),
        resource("kubernetes:helm.sh/v3:Release", {"chart": "other", "values": {"gpu": {"count": 2}}}),
        resource("kubernetes:core/v1:ResourceQuota", {"metadata": {"namespace": "ml"},
                                                      "spec": {"hard": {"requests.nvidia.com/gpu": "4"}}}),
        resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", {"metadata": {"namespace": "ml"}, "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "w"}, "minReplicas": 1, "maxReplicas": 9}}),
        resource("kubernetes:keda.sh/v1alpha1:ScaledObject", {"metadata": {"namespace": "ml"}, "spec": {
            "scaleTargetRef": {"name": "w"}, "maxReplicaCount": 9}}),
        resource("kubernetes:policy/v1:PodDisruptionBudget", {"metadata": {"namespace": "ml"}, "spec": {
            "selector": {"matchLabels": {"app": "w"}}}}),
        resource("kubernetes:scheduling.k8s.io/v1:PriorityClass", {"metadata": {"name": "training-low"},
                                                                    "preemptionPolicy": "Never"}),
        resource("kubernetes:core/v1:Namespace", {"metadata": {"name": "ml"}}),
    ]


SEEDS = seeds()
CONFIG = load_stack_config("prod")

junk = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10 ** 6) | st.floats(allow_nan=True) | st.just(UNKNOWN)
    | st.sampled_from(["", "1", "-1", "0.5", "abc", "nvidia.com/gpu", "Exists", "Equal", "NoSchedule", "NO_SCHEDULE",
                       "gpu", "latest", "x:latest", "In"])
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["key", "operator", "value", "effect", "nvidia.com/gpu", "node-pool", "containers", "spec",
                         "template", "name", "image", "limits", "requests", "matchLabels", "gpu"]), inner, max_size=3),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replace(root: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    node = root
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return root


@st.composite
def mutated(draw: Any) -> dict[str, Any]:
    res = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    props = res["props"]
    for _ in range(draw(st.integers(1, 4))):
        candidates = paths(props)
        path = draw(st.sampled_from(candidates[1:] if len(candidates) > 1 else candidates))
        props = replace(props, path, draw(junk))
    res["props"] = props if isinstance(props, dict) else {"spec": props}
    return res


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resources=st.lists(mutated(), min_size=1, max_size=3))
def test_no_policy_raises_on_mutated_resources(resources):
    for policy in POLICIES:
        found = run_pack(resources, CONFIG, policies=[policy])  # an exception here fails the test
        assert all(v.policy_name == policy.name for v in found)
        if isinstance(policy, StackValidationPolicy):
            continue
        assert all(v.resource_name for v in found)


@settings(max_examples=150, deadline=None)
@given(config=st.dictionaries(st.sampled_from(["gpuResources", "nodePoolTaints", "chartTolerationPaths",
                                               "chartGpuRequestPaths", "exemptions", "gpuNodePools"]), junk, max_size=3))
def test_malformed_options_fall_back_to_defaults(config):
    for policy in POLICIES:
        run_pack(SEEDS, {policy.name: config}, policies=[policy])


def test_known_crashers():
    """The inputs that used to raise: a nodeSelector value that is a map or a list, a taint effect that is a list."""
    for selector in ({"node-pool": {"a": 1}}, {"node-pool": ["gpu"]}):
        run_pack([workload("Deployment", gpu_pod(nodeSelector=selector))], CONFIG)
    group = copy.deepcopy(next(r for r in SEEDS if r["type"] == "eks:index:ManagedNodeGroup"))
    group["props"]["taints"] = [{"key": "nvidia.com/gpu", "value": "true", "effect": ["NO_SCHEDULE"]}]
    assert {v.policy_name for v in run_pack([group], CONFIG)} == {"node-group-taints"}
