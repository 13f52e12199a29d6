"""gpu-inference-has-pdb (stack): replicated GPU Deployments/StatefulSets have a matching PDB."""

import pytest
from harness import UNKNOWN, container, gpu_pod, resource, violations, workload

POLICY = "gpu-inference-has-pdb"
LABELS = {"app": "llm", "tier": "inference"}


def server(kind="Deployment", replicas=2, namespace="serving", pod=None):
    return workload(kind, pod or gpu_pod(), name="llm", namespace=namespace, labels=LABELS, replicas=replicas)


def pdb(selector=None, namespace="serving"):
    selector = {"matchLabels": {"app": "llm"}} if selector is None else selector
    return resource("kubernetes:policy/v1:PodDisruptionBudget", {
        "metadata": {"name": "llm", "namespace": namespace}, "spec": {"maxUnavailable": 1, "selector": selector}},
        name="llm-pdb")


def hpa(min_replicas, target="llm", namespace="serving", max_replicas=8):
    return resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", {
        "metadata": {"name": target, "namespace": namespace},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                 "minReplicas": min_replicas, "maxReplicas": max_replicas}}, name="llm-hpa")


def scaled_object(target="llm", namespace="serving", **spec):
    return resource("kubernetes:keda.sh/v1alpha1:ScaledObject", {
        "metadata": {"name": target, "namespace": namespace},
        "spec": {"scaleTargetRef": {"name": target}, **spec}}, name="llm-scaler")


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet"])
class TestReplicatedKinds:
    def test_matching_pdb_passes(self, kind):
        assert violations(POLICY, server(kind), pdb()) == []

    def test_missing_pdb_fails(self, kind):
        found = violations(POLICY, server(kind))
        assert len(found) == 1 and "no PodDisruptionBudget" in found[0] and "maxUnavailable: 1" in found[0]

    def test_pdb_in_another_namespace_fails(self, kind):
        assert violations(POLICY, server(kind), pdb(namespace="other"))

    def test_pdb_selecting_other_pods_fails(self, kind):
        assert violations(POLICY, server(kind), pdb({"matchLabels": {"app": "other"}}))

    def test_pdb_selector_must_be_a_subset(self, kind):
        assert violations(POLICY, server(kind), pdb({"matchLabels": {"app": "llm", "extra": "x"}}))

    def test_single_replica_needs_no_pdb(self, kind):
        assert violations(POLICY, server(kind, replicas=1)) == []


@pytest.mark.parametrize("kind", ["DaemonSet", "Job", "InferenceService", "RayCluster", "Pod"])
def test_other_kinds_are_out_of_scope(kind):
    assert violations(POLICY, workload(kind, gpu_pod(), replicas=3)) == []


def test_cpu_deployment_is_out_of_scope():
    assert violations(POLICY, server(pod={"containers": [container()]}, replicas=3)) == []


def test_match_expressions_are_evaluated():
    selector = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["inference"]}]}
    assert violations(POLICY, server(), pdb(selector)) == []
    selector = {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["inference"]}]}
    assert violations(POLICY, server(), pdb(selector))


def test_autoscaled_replicas_count():
    """An HPA or ScaledObject that may scale the Deployment past one replica makes it replicated."""
    one = server(replicas=None)
    assert violations(POLICY, one, hpa(1, max_replicas=1)) == []
    assert "8 GPU replicas" in violations(POLICY, one, hpa(1))[0]
    assert violations(POLICY, one, hpa(2), pdb()) == []
    assert violations(POLICY, one, hpa(3, target="someone-else")) == []


def test_scaled_object_targets_are_covered():
    one = server(replicas=None)
    assert "100 GPU replicas" in violations(POLICY, one, scaled_object())[0]  # KEDA's default maxReplicaCount
    assert violations(POLICY, one, scaled_object(maxReplicaCount=3), pdb()) == []
    assert violations(POLICY, one, scaled_object(minReplicaCount=0, maxReplicaCount=1)) == []
    assert violations(POLICY, one, scaled_object(target="other", maxReplicaCount=4)) == []
    statefulset = server("StatefulSet", replicas=None)
    assert violations(POLICY, statefulset, scaled_object(maxReplicaCount=4)) == []  # targets a Deployment
    so = scaled_object(maxReplicaCount=4)
    so["props"]["spec"]["scaleTargetRef"]["kind"] = "StatefulSet"
    assert violations(POLICY, statefulset, so)


def test_default_namespace_from_provider():
    deployment = server(namespace="")
    deployment["provider"] = {"props": {"namespace": "serving"}}
    assert violations(POLICY, deployment, pdb()) == []
    assert violations(POLICY, deployment, pdb(namespace="default"))


def test_unknowns_are_not_violations():
    assert violations(POLICY, server(replicas=UNKNOWN)) == []
    assert violations(POLICY, server(namespace=UNKNOWN)) == []
    assert violations(POLICY, server(), pdb(namespace=UNKNOWN)) == []
    assert violations(POLICY, server(), pdb({"matchLabels": {"app": UNKNOWN}})) == []
