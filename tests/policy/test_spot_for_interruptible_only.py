"""spot-for-interruptible-only: only batch workloads tolerate the spot taint."""

import pytest
from harness import BATCH_KINDS_UNDER_TEST, SPOT_TOLERATION, WORKLOAD_KINDS, container, violations, workload

POLICY = "spot-for-interruptible-only"
SERVING_KINDS = [k for k in WORKLOAD_KINDS if k not in BATCH_KINDS_UNDER_TEST]


def pod(*tolerations):
    return {"containers": [container()], "tolerations": list(tolerations)}


@pytest.mark.parametrize("kind", sorted(BATCH_KINDS_UNDER_TEST))
def test_batch_kinds_may_use_spot(kind):
    assert violations(POLICY, workload(kind, pod(SPOT_TOLERATION))) == []
    assert violations(POLICY, workload(kind, pod({"operator": "Exists"}))) == []


@pytest.mark.parametrize("kind", SERVING_KINDS)
class TestServingKinds:
    def test_without_spot_toleration_passes(self, kind):
        assert violations(POLICY, workload(kind, pod())) == []

    def test_spot_toleration_fails(self, kind):
        found = violations(POLICY, workload(kind, pod(SPOT_TOLERATION)))
        assert len(found) == 1 and "spot" in found[0] and "Remove that toleration" in found[0]

    def test_catch_all_toleration_counts_as_spot(self, kind):
        found = violations(POLICY, workload(kind, pod({"operator": "Exists"})))
        assert len(found) == 1 and "tolerates every taint" in found[0]


def test_exempt_namespaces_host_node_agents():
    agent = workload("DaemonSet", pod({"operator": "Exists"}), namespace="monitoring")
    assert violations(POLICY, agent) == []
    assert violations(POLICY, agent, config={"exemptNamespaces": []})


def test_configured_spot_taint():
    toleration = {"key": "eks.amazonaws.com/capacityType", "operator": "Equal", "value": "SPOT",
                  "effect": "NoSchedule"}
    config = {"spotTaintKey": "eks.amazonaws.com/capacityType", "spotTaintValue": "SPOT"}
    assert violations(POLICY, workload("Deployment", pod(toleration))) == []
    assert violations(POLICY, workload("Deployment", pod(toleration)), config=config)
