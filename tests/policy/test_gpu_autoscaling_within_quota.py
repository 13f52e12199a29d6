"""gpu-autoscaling-within-quota (stack): autoscalers of GPU workloads stay within the namespace's GPU quota."""

from harness import container, gpu_pod, resource, stack_violations, workload

POLICY = "gpu-autoscaling-within-quota"


def quota(gpus="4", namespace="serving", key="requests.nvidia.com/gpu"):
    return resource("kubernetes:core/v1:ResourceQuota", {"metadata": {"name": "gpu", "namespace": namespace},
                                                         "spec": {"hard": {key: gpus}}}, name="quota")


def server(gpus="1", replicas=None, name="llm", pod=None):
    return workload("Deployment", pod or gpu_pod(gpus=gpus), name=name, namespace="serving", replicas=replicas)


def scaled_object(target="llm", kind=None, **spec):
    ref = {"name": target, **({"kind": kind} if kind else {})}
    return resource("kubernetes:keda.sh/v1alpha1:ScaledObject", {
        "metadata": {"name": f"{target}-scaler", "namespace": "serving"},
        "spec": {"scaleTargetRef": ref, **spec}}, name=f"{target}-scaler")


def scaled_job(max_replicas=None, gpus="1"):
    spec = {"jobTargetRef": {"template": {"spec": {**gpu_pod(gpus=gpus), "restartPolicy": "Never"}}}}
    if max_replicas is not None:
        spec["maxReplicaCount"] = max_replicas
    return resource("kubernetes:keda.sh/v1alpha1:ScaledJob", {
        "metadata": {"name": "batch", "namespace": "serving"}, "spec": spec}, name="batch")


def test_scaled_object_within_quota_passes():
    assert stack_violations(POLICY, [server(), scaled_object(maxReplicaCount=4), quota("4")]) == []
    assert stack_violations(POLICY, [server(gpus="2"), scaled_object(maxReplicaCount=2), quota("4")]) == []


def test_scaled_object_past_quota_fails():
    found = stack_violations(POLICY, [server(gpus="2"), scaled_object(maxReplicaCount=3), quota("4")])
    assert len(found) == 1
    assert "3 x 2 nvidia.com/gpu = 6" in found[0] and "requests.nvidia.com/gpu at 4" in found[0]
    assert "at most 2" in found[0]


def test_keda_default_max_is_100():
    found = stack_violations(POLICY, [server(), scaled_object(), quota("8")])
    assert "100 replicas" in found[0] and "KEDA's default is 100" in found[0]


def test_hpa_counts_too():
    hpa = resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", {
        "metadata": {"name": "llm", "namespace": "serving"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "llm"}, "maxReplicas": 10}}, name="hpa")
    assert "spec.maxReplicas" in stack_violations(POLICY, [server(), hpa, quota("4")])[0]


def test_scaled_job():
    assert stack_violations(POLICY, [scaled_job(4), quota("4")]) == []
    assert "its jobs" in stack_violations(POLICY, [scaled_job(), quota("4")])[0]


def test_not_applicable():
    cpu = server(pod={"containers": [container()]})
    assert stack_violations(POLICY, [cpu, scaled_object(maxReplicaCount=50), quota("1")]) == []
    assert stack_violations(POLICY, [server(), scaled_object(maxReplicaCount=50)]) == []  # no quota known
    assert stack_violations(POLICY, [server(), scaled_object(target="other"), quota("1")]) == []
    assert stack_violations(POLICY, [server(), scaled_object(kind="StatefulSet"), quota("1")]) == []
    assert stack_violations(POLICY, [server(), scaled_object(maxReplicaCount="x"), quota("1")]) == []


def test_mig_slices_have_their_own_cap():
    pod = gpu_pod()
    pod["containers"][0]["resources"]["limits"] = {"nvidia.com/mig-1g.5gb": "1"}
    mig = server(pod=pod)
    assert stack_violations(POLICY, [mig, scaled_object(maxReplicaCount=9), quota("4")]) == []
    assert stack_violations(POLICY, [mig, scaled_object(maxReplicaCount=9), quota("4", key="requests.nvidia.com/mig-1g.5gb")])
