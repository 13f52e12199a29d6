"""gpu-namespace-has-quota (stack): namespaces with GPU workloads cap requests.<gpu> in a ResourceQuota."""

import pytest
from harness import UNKNOWN, WORKLOAD_KINDS, container, gpu_pod, resource, run_pack, violations, workload

from policy.mlpolicies import POLICIES_BY_NAME

POLICY = "gpu-namespace-has-quota"


def quota(hard, namespace="team-a"):
    return resource("kubernetes:core/v1:ResourceQuota", {
        "metadata": {"name": "gpu", "namespace": namespace}, "spec": {"hard": hard}}, name=f"quota-{namespace}")


def namespace(name):
    return resource("kubernetes:core/v1:Namespace", {"metadata": {"name": name}}, name=f"ns-{name}")


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
class TestEveryKind:
    def test_quota_passes(self, kind):
        gpu = workload(kind, gpu_pod(), namespace="team-a")
        assert violations(POLICY, gpu, quota({"requests.nvidia.com/gpu": "4"})) == []

    def test_no_quota_fails(self, kind):
        found = violations(POLICY, workload(kind, gpu_pod(), namespace="team-a"), quota({"cpu": "10"}))
        assert len(found) == 1
        assert "namespace team-a" in found[0] and 'spec.hard: {"requests.nvidia.com/gpu": "<n>"}' in found[0]


def test_quota_must_be_in_the_same_namespace():
    assert violations(POLICY, workload("Deployment", gpu_pod(), namespace="team-a"),
                      quota({"requests.nvidia.com/gpu": "4"}, namespace="team-b"))


def test_one_violation_per_namespace_attached_to_the_namespace():
    resources = [namespace("team-a"), workload("Deployment", gpu_pod(), name="a", namespace="team-a"),
                 workload("Job", gpu_pod(), name="b", namespace="team-a")]
    found = run_pack(resources, policies=[POLICIES_BY_NAME[POLICY]])
    assert [v.resource_name for v in found] == ["ns-team-a"]


def test_mig_slices_need_their_own_cap():
    mig = gpu_pod(containers=[container("s", gpus="1", resource="nvidia.com/mig-1g.10gb")])
    found = violations(POLICY, workload("Deployment", mig, namespace="team-a"), quota({"requests.nvidia.com/gpu": "4"}))
    assert len(found) == 1 and "requests.nvidia.com/mig-1g.10gb" in found[0]
    assert violations(POLICY, workload("Deployment", mig, namespace="team-a"),
                      quota({"requests.nvidia.com/mig-1g.10gb": "7"})) == []


def test_cpu_namespaces_need_no_gpu_quota():
    assert violations(POLICY, workload("Deployment", {"containers": [container()]}, namespace="web")) == []


def test_unknowns_are_not_violations():
    gpu = workload("Deployment", gpu_pod(), namespace="team-a")
    assert violations(POLICY, workload("Deployment", gpu_pod(), namespace=UNKNOWN)) == []
    assert violations(POLICY, gpu, quota({"requests.nvidia.com/gpu": "4"}, namespace=UNKNOWN)) == []
    assert violations(POLICY, gpu, quota(UNKNOWN)) == []
