"""training-does-not-preempt (stack): GPU batch work uses a PriorityClass with preemptionPolicy Never."""

import pytest
from harness import (
    BATCH_KINDS_UNDER_TEST,
    UNKNOWN,
    WORKLOAD_KINDS,
    container,
    gpu_pod,
    resource,
    run_pack,
    violations,
    workload,
)

from policy.mlpolicies import POLICIES_BY_NAME

POLICY = "training-does-not-preempt"


def priority_class(name, preemption="Never"):
    props = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
             "value": 1000}
    if preemption is not None:
        props["preemptionPolicy"] = preemption
    return resource("kubernetes:scheduling.k8s.io/v1:PriorityClass", props, name=f"pc-{name}")


def training(kind="Job", class_name="training-low", **pod):
    spec = gpu_pod(**pod) if class_name is None else gpu_pod(priorityClassName=class_name, **pod)
    return workload(kind, spec, name="train")


@pytest.mark.parametrize("kind", sorted(BATCH_KINDS_UNDER_TEST))
class TestBatchKinds:
    def test_never_preempting_class_passes(self, kind):
        assert violations(POLICY, training(kind), priority_class("training-low")) == []

    def test_missing_class_name_fails(self, kind):
        found = violations(POLICY, training(kind, class_name=None), priority_class("training-low"))
        assert len(found) == 1 and "without priorityClassName" in found[0]

    def test_preempting_class_fails(self, kind):
        found = violations(POLICY, training(kind), priority_class("training-low", "PreemptLowerPriority"))
        assert len(found) == 1 and "preemptionPolicy PreemptLowerPriority" in found[0]

    def test_unresolvable_class_fails(self, kind):
        found = violations(POLICY, training(kind, class_name="nope"), priority_class("training-low"))
        assert len(found) == 1 and '"nope" matches no PriorityClass' in found[0]


def test_default_preemption_policy_preempts():
    found = violations(POLICY, training(), priority_class("training-low", preemption=None))
    assert len(found) == 1 and "the default" in found[0]


@pytest.mark.parametrize("kind", [k for k in WORKLOAD_KINDS if k not in BATCH_KINDS_UNDER_TEST])
def test_serving_kinds_are_out_of_scope(kind):
    assert violations(POLICY, workload(kind, gpu_pod(priorityClassName="inference-high"))) == []


def test_cpu_batch_work_is_out_of_scope():
    assert violations(POLICY, workload("Job", {"containers": [container()]})) == []


def test_class_managed_elsewhere_via_config():
    job = training(class_name="shared-batch")
    assert violations(POLICY, job)
    assert violations(POLICY, job, config={"externalNeverPreemptClasses": ["shared-batch"]}) == []


def test_violation_is_attached_to_the_workload():
    found = run_pack([training(class_name=None)], policies=[POLICIES_BY_NAME[POLICY]])
    assert [(v.resource_name, v.resource_type) for v in found] == [("train", "kubernetes:batch/v1:Job")]


def test_unknowns_are_not_violations():
    assert violations(POLICY, training(class_name=UNKNOWN)) == []
    unnamed = priority_class("x")
    unnamed["props"]["metadata"]["name"] = UNKNOWN  # it might be the one referenced
    assert violations(POLICY, training(class_name="training-low"), unnamed) == []
    assert violations(POLICY, training(), priority_class("training-low", UNKNOWN)) == []
