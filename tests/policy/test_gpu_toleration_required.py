"""gpu-toleration-required: pods that ask for GPUs tolerate the GPU node taint."""

import pytest
from harness import GPU_TOLERATION, SPOT_TOLERATION, UNKNOWN, WORKLOAD_KINDS, gpu_pod, violations, workload

POLICY = "gpu-toleration-required"


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
class TestEveryKind:
    def test_tolerating_gpu_pod_passes(self, kind):
        assert violations(POLICY, workload(kind, gpu_pod())) == []

    def test_gpu_pod_without_toleration_fails(self, kind):
        found = violations(POLICY, workload(kind, gpu_pod(tolerations=[SPOT_TOLERATION])))
        assert len(found) == 1
        assert '"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"' in found[0]


@pytest.mark.parametrize("toleration", [
    GPU_TOLERATION,
    {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "nvidia.com/gpu", "operator": "Exists"},
    {"key": "nvidia.com/gpu", "value": "true"},  # operator defaults to Equal, empty effect matches all
    {"operator": "Exists"},
    {"operator": "Exists", "effect": "NoSchedule"},
])
def test_matching_tolerations_pass(toleration):
    assert violations(POLICY, workload("Deployment", gpu_pod(tolerations=[toleration]))) == []


@pytest.mark.parametrize("toleration", [
    {"key": "nvidia.com/gpu", "operator": "Equal", "value": "false", "effect": "NoSchedule"},
    {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoExecute"},
    {"key": "nvidia.com/gpu"},  # Equal with an empty value
    {"key": "gpu", "operator": "Exists"},
    {"operator": "Exists", "effect": "PreferNoSchedule"},
    {"key": "nvidia.com/gpu", "operator": "Bogus"},
])
def test_non_matching_tolerations_fail(toleration):
    assert violations(POLICY, workload("Deployment", gpu_pod(tolerations=[toleration])))


def test_missing_tolerations_field_fails():
    pod = gpu_pod()
    del pod["tolerations"]
    assert violations(POLICY, workload("Job", pod))


def test_unknown_tolerations_are_not_violations():
    assert violations(POLICY, workload("Deployment", gpu_pod(tolerations=UNKNOWN))) == []
    assert violations(POLICY, workload("Deployment", gpu_pod(tolerations=[{"key": UNKNOWN, "operator": "Exists"}]))) == []


def test_configured_taint():
    pod = gpu_pod(tolerations=[{"key": "gpu", "operator": "Equal", "value": "yes", "effect": "NoExecute"}])
    config = {"gpuTaintKey": "gpu", "gpuTaintValue": "yes", "gpuTaintEffect": "NoExecute"}
    assert violations(POLICY, workload("Deployment", pod), config=config) == []
    assert violations(POLICY, workload("Deployment", gpu_pod()), config=config)
