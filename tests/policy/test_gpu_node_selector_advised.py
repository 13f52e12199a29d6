"""gpu-node-selector-advised (advisory): GPU pods select a GPU node pool."""

import pytest
from harness import WORKLOAD_KINDS, container, gpu_pod, run_pack, violations, workload

from policy.mlpolicies import POLICIES_BY_NAME

POLICY = "gpu-node-selector-advised"


def affinity(*terms):
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}


def pool_in(*values, key="node-pool"):
    return {"matchExpressions": [{"key": key, "operator": "In", "values": list(values)}]}


def test_is_advisory_by_default():
    assert POLICIES_BY_NAME[POLICY].enforcement_level.value == "advisory"
    found = run_pack([workload("Deployment", gpu_pod(nodeSelector={}))], policies=[POLICIES_BY_NAME[POLICY]])
    assert [v.enforcement for v in found] == ["advisory"]


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
class TestEveryKind:
    def test_node_selector_passes(self, kind):
        assert violations(POLICY, workload(kind, gpu_pod())) == []

    def test_no_selection_fails(self, kind):
        found = violations(POLICY, workload(kind, gpu_pod(nodeSelector={"team": "a"})))
        assert len(found) == 1 and 'nodeSelector: {"node-pool": "gpu"}' in found[0]


def test_required_node_affinity_passes():
    pod = gpu_pod(nodeSelector=None, affinity=affinity(pool_in("gpu")))
    assert violations(POLICY, workload("Deployment", pod)) == []


def test_every_affinity_term_must_pin_the_pool():
    pod = gpu_pod(nodeSelector=None, affinity=affinity(pool_in("gpu"), pool_in("cpu")))
    assert violations(POLICY, workload("Deployment", pod))


def test_affinity_allowing_a_non_gpu_pool_fails():
    pod = gpu_pod(nodeSelector=None, affinity=affinity(pool_in("gpu", "cpu")))
    assert violations(POLICY, workload("Deployment", pod))


def test_wrong_pool_fails():
    assert violations(POLICY, workload("Deployment", gpu_pod(nodeSelector={"node-pool": "cpu"})))


def test_configured_pools_and_label():
    pod = gpu_pod(nodeSelector={"pool": "a100"})
    assert violations(POLICY, workload("Deployment", pod))
    assert violations(POLICY, workload("Deployment", pod), config={"nodePoolLabel": "pool", "gpuNodePools": ["a100"]}) == []


def test_cpu_pods_are_ignored():
    assert violations(POLICY, workload("Deployment", {"containers": [container()]})) == []
