"""gpu-limits-required: GPU counts are whole, positive, and set as limits (request == limit)."""

import pytest
from harness import WORKLOAD_KINDS, container, gpu_pod, violations, workload

POLICY = "gpu-limits-required"


def pod_with(**kwargs):
    return gpu_pod(containers=[container("server", **kwargs)])


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
class TestEveryKind:
    def test_limit_only_passes(self, kind):
        assert violations(POLICY, workload(kind, gpu_pod("1"))) == []

    def test_request_without_limit_fails(self, kind):
        found = violations(POLICY, workload(kind, pod_with(gpu_request="1")))
        assert len(found) == 1
        assert 'requests nvidia.com/gpu without a limit' in found[0]
        assert 'resources.limits["nvidia.com/gpu"]: "1"' in found[0]

    def test_request_different_from_limit_fails(self, kind):
        found = violations(POLICY, workload(kind, pod_with(gpus="2", gpu_request="1")))
        assert len(found) == 1 and "request == limit" in found[0]


@pytest.mark.parametrize("value", ["1", 1, 1.0, "8", 4])
def test_positive_whole_numbers_pass(value):
    assert violations(POLICY, workload("Deployment", pod_with(gpus=value))) == []


@pytest.mark.parametrize("value", ["0", 0, "-1", -1, "0.5", 0.5, "abc", "", True])
def test_invalid_limits_fail(value):
    found = violations(POLICY, workload("Deployment", pod_with(gpus=value)))
    assert found and "whole number of at least 1" in found[0]


@pytest.mark.parametrize("value", ["0", "0.5", "abc"])
def test_invalid_request_fails_even_with_valid_limit(value):
    found = violations(POLICY, workload("Deployment", pod_with(gpus="1", gpu_request=value)))
    assert len(found) == 1 and 'requests["nvidia.com/gpu"]' in found[0]


def test_equal_request_and_limit_in_different_spellings_pass():
    assert violations(POLICY, workload("Job", pod_with(gpus=2, gpu_request="2"))) == []


def test_mig_slices_are_gpus():
    mig = "nvidia.com/mig-1g.10gb"
    assert violations(POLICY, workload("Deployment", pod_with(gpus="1", resource=mig))) == []
    found = violations(POLICY, workload("Deployment", pod_with(gpu_request="1", resource=mig)))
    assert len(found) == 1 and mig in found[0]


def test_init_containers_are_checked():
    pod = gpu_pod(initContainers=[container("warmup", gpu_request="1")])
    found = violations(POLICY, workload("StatefulSet", pod))
    assert len(found) == 1 and 'init container "warmup"' in found[0]


def test_cpu_only_pods_are_ignored():
    assert violations(POLICY, workload("Deployment", {"containers": [container()]})) == []


def test_configured_gpu_resources():
    pod = pod_with(gpu_request="1", resource="amd.com/gpu")
    assert violations(POLICY, workload("Deployment", pod)) == []
    assert violations(POLICY, workload("Deployment", pod), config={"gpuResources": ["amd.com/gpu"]})
