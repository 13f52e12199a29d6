"""no-gpu-toleration-without-gpu: only GPU pods tolerate the GPU taint; system namespaces exempt."""

import pytest
from harness import GPU_TOLERATION, UNKNOWN, WORKLOAD_KINDS, container, gpu_pod, violations, workload

POLICY = "no-gpu-toleration-without-gpu"
CATCH_ALL = {"operator": "Exists"}


def cpu_pod(*tolerations):
    return {"containers": [container()], "tolerations": list(tolerations)}


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
class TestEveryKind:
    def test_gpu_pod_with_toleration_passes(self, kind):
        assert violations(POLICY, workload(kind, gpu_pod())) == []

    def test_cpu_pod_without_gpu_toleration_passes(self, kind):
        assert violations(POLICY, workload(kind, cpu_pod({"key": "spot", "operator": "Exists"}))) == []

    def test_cpu_pod_with_gpu_toleration_fails(self, kind):
        found = violations(POLICY, workload(kind, cpu_pod(GPU_TOLERATION)))
        assert len(found) == 1 and "explicit toleration" in found[0]

    def test_cpu_pod_tolerating_everything_fails(self, kind):
        found = violations(POLICY, workload(kind, cpu_pod(CATCH_ALL)))
        assert len(found) == 1 and "tolerates every taint" in found[0]


@pytest.mark.parametrize("namespace", ["gpu-operator", "monitoring", "kube-system"])
def test_default_exempt_namespaces(namespace):
    assert violations(POLICY, workload("DaemonSet", cpu_pod(CATCH_ALL), namespace=namespace)) == []


def test_configured_exempt_namespaces():
    resource = workload("DaemonSet", cpu_pod(CATCH_ALL), namespace="observability")
    assert violations(POLICY, resource)
    assert violations(POLICY, resource, config={"exemptNamespaces": ["observability"]}) == []


def test_toleration_for_another_effect_passes():
    toleration = {**GPU_TOLERATION, "effect": "NoExecute"}
    assert violations(POLICY, workload("Deployment", cpu_pod(toleration))) == []


def test_unknown_values_are_not_violations():
    assert violations(POLICY, workload("Deployment", cpu_pod(GPU_TOLERATION), namespace=UNKNOWN)) == []
    pod = cpu_pod(GPU_TOLERATION)
    pod["containers"][0]["resources"] = UNKNOWN  # might ask for a GPU
    assert violations(POLICY, workload("Deployment", pod)) == []
