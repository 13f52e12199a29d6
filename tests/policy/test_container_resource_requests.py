"""container-resource-requests: every container requests CPU and memory."""

import pytest
from harness import UNKNOWN, WORKLOAD_KINDS, container, violations, workload

POLICY = "container-resource-requests"


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
class TestEveryKind:
    def test_requests_pass(self, kind):
        assert violations(POLICY, workload(kind, {"containers": [container()]})) == []

    def test_missing_memory_fails(self, kind):
        found = violations(POLICY, workload(kind, {"containers": [container(memory=None)]}))
        assert len(found) == 1 and "no memory request" in found[0]


def test_missing_both_fails_once_per_container():
    found = violations(POLICY, workload("Deployment", {"containers": [container(cpu=None, memory=None)],
                                                       "initContainers": [container("init", cpu=None)]}))
    assert len(found) == 2
    assert "no cpu or memory request" in found[0] and 'init container "init"' in found[1]


def test_no_resources_at_all_fails():
    assert violations(POLICY, workload("Job", {"containers": [{"name": "c", "image": "x:1"}]}))


def test_limits_imply_requests():
    c = container(cpu=None, memory=None)
    c["resources"]["limits"] = {"cpu": "1", "memory": "1Gi"}
    assert violations(POLICY, workload("Deployment", {"containers": [c]})) == []


def test_kserve_model_container_is_checked():
    isvc = workload("InferenceService", {"containers": []})
    isvc["props"]["spec"]["predictor"]["model"] = {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://m/1"}
    found = violations(POLICY, isvc)
    assert len(found) == 1 and 'container "kserve-container"' in found[0]


def test_unknowns_are_not_violations():
    c = container()
    c["resources"] = UNKNOWN
    assert violations(POLICY, workload("Deployment", {"containers": [c, UNKNOWN]})) == []
    assert violations(POLICY, workload("Deployment", {"containers": UNKNOWN})) == []
    c = container(memory=None)
    c["resources"]["limits"] = UNKNOWN
    assert violations(POLICY, workload("Deployment", {"containers": [c]})) == []
