"""The shared walker: pod specs and context for every workload kind."""

import pytest
from harness import CLEAN_CPU_POD, UNKNOWN, WORKLOAD_KINDS, gpu_pod, resource, workload
from pulumi_policy import PolicyProviderResource
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy.mlpolicies import BATCH_KINDS, SUPPORTED_KINDS, materialize, workloads
from policy.mlpolicies.workloads import default_namespace, kind_of


def walk(res, namespace_default="default"):
    return workloads(res["type"], materialize(res["props"]), namespace_default)


def the_gpu_workload(res):
    """The workload carrying the test pod (builders add a clean CPU head for Ray kinds)."""
    found = [w for w in walk(res) if w.pod.get("tolerations")]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
def test_every_kind_yields_its_pod_with_context(kind):
    res = workload(kind, gpu_pod(priorityClassName="pc"), name="w", namespace="ml", labels={"app": "w"}, replicas=3)
    w = the_gpu_workload(res)
    assert w.pod["containers"][0]["name"] == "server"
    assert w.ctx.kind == kind.split(":")[-1]
    assert (w.ctx.name, w.ctx.namespace, w.ctx.priority_class_name) == ("w", "ml", "pc")
    assert w.ctx.labels.get("app") == "w"
    assert w.ctx.batch == (w.ctx.kind in BATCH_KINDS)
    expected_replicas = {"DaemonSet": None, "Job": None, "CronJob": None, "Pod": 1}.get(w.ctx.kind, 3)
    assert w.ctx.replicas == expected_replicas


def test_supported_kinds():
    assert {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "InferenceService",
            "PyTorchJob", "TFJob", "RayCluster", "RayJob"} <= SUPPORTED_KINDS
    assert {"Job", "CronJob", "PyTorchJob", "TFJob", "RayJob"} <= BATCH_KINDS
    assert not {"Deployment", "StatefulSet", "DaemonSet", "RayCluster", "InferenceService"} & BATCH_KINDS


def test_kserve_components_and_model_containers():
    props = {"metadata": {"name": "m", "namespace": "ml", "labels": {"team": "a"}}, "spec": {
        "predictor": {"minReplicas": 2, "labels": {"app": "m"}, "tolerations": [{"operator": "Exists"}],
                      "model": {"modelFormat": {"name": "huggingface"}, "resources": {"limits": {"nvidia.com/gpu": 1}}},
                      "workerSpec": {"containers": [{"name": "worker"}]}},
        "transformer": {"containers": [{"name": "pre", "image": "pre:1"}]},
        "explainer": {"alibi": {"type": "AnchorTabular"}}}}
    found = walk(resource("kubernetes:serving.kserve.io/v1beta1:InferenceService", props))
    assert [w.ctx.component for w in found] == ["predictor", "predictor.worker", "transformer", "explainer"]
    predictor = found[0]
    assert predictor.pod["containers"] == [{"modelFormat": {"name": "huggingface"}, "name": "kserve-container",
                                            "resources": {"limits": {"nvidia.com/gpu": 1}}}]
    assert predictor.pod["tolerations"] == [{"operator": "Exists"}]
    assert "model" not in predictor.pod and "workerSpec" not in predictor.pod
    assert predictor.ctx.replicas == 2 and predictor.ctx.labels == {"team": "a", "app": "m"}
    assert found[3].pod["containers"][0]["name"] == "kserve-container"
    assert not predictor.ctx.batch


def test_kubeflow_replica_roles():
    template = {"spec": CLEAN_CPU_POD}
    props = {"metadata": {"name": "t"}, "spec": {"tfReplicaSpecs": {
        "Chief": {"replicas": 1, "template": template}, "PS": {"replicas": 2, "template": template},
        "Worker": {"template": template}}}}
    found = walk(resource("kubernetes:kubeflow.org/v1:TFJob", props))
    assert [(w.ctx.component, w.ctx.replicas) for w in found] == [("Chief", 1), ("PS", 2), ("Worker", 1)]
    assert all(w.ctx.batch for w in found)
    mpi = {"apiVersion": "kubeflow.org/v2beta1", "kind": "MPIJob", "spec": {"mpiReplicaSpecs": {
        "Launcher": {"template": template}, "Worker": {"replicas": 4, "template": template}}}}
    found = walk(resource("kubernetes:apiextensions.k8s.io:CustomResource", mpi))
    assert [(w.ctx.kind, w.ctx.component, w.ctx.batch) for w in found] == [
        ("MPIJob", "Launcher", True), ("MPIJob", "Worker", True)]


def test_ray_heads_worker_groups_and_submitter():
    template = {"spec": CLEAN_CPU_POD}
    cluster = {"headGroupSpec": {"template": template}, "workerGroupSpecs": [
        {"groupName": "cpu", "replicas": 2, "template": template},
        {"groupName": "gpu", "minReplicas": 0, "maxReplicas": 4, "template": template}]}
    found = walk(resource("kubernetes:ray.io/v1:RayCluster", {"spec": cluster}))
    assert [(w.ctx.component, w.ctx.replicas) for w in found] == [
        ("head", 1), ("worker group cpu", 2), ("worker group gpu", 0)]
    job = {"spec": {"rayClusterSpec": cluster, "submitterPodTemplate": template}}
    found = walk(resource("kubernetes:ray.io/v1:RayJob", job))
    assert [w.ctx.component for w in found] == ["head", "worker group cpu", "worker group gpu", "submitter"]
    assert all(w.ctx.batch for w in found)
    service = walk(resource("kubernetes:ray.io/v1:RayService", {"spec": {"rayClusterConfig": cluster}}))
    assert len(service) == 3 and not service[0].ctx.batch


def test_versions_are_ignored():
    res = workload("CronJob", CLEAN_CPU_POD)
    res["type"] = "kubernetes:batch/v1beta1:CronJob"
    assert len(walk(res)) == 1


@pytest.mark.parametrize("type_,props", [
    ("aws:s3/bucket:Bucket", {"spec": {"template": {"spec": CLEAN_CPU_POD}}}),
    ("kubernetes:core/v1:ConfigMap", {"data": {}}),
    ("kubernetes:apiextensions.k8s.io:CustomResource", {"apiVersion": "example.com/v1", "kind": "Widget"}),
    ("kubernetes:apiextensions.k8s.io:CustomResource", {"apiVersion": UNKNOWN, "kind": "RayCluster"}),
    ("kubernetes:apps/v1:DeploymentPatch", {"spec": {"template": {"spec": CLEAN_CPU_POD}}}),
    ("kubernetes:apps/v1:Deployment", {"spec": {"template": UNKNOWN}}),
    ("kubernetes:apps/v1:Deployment", {"spec": UNKNOWN}),
    ("kubernetes:apps/v1:Deployment", {}),
])
def test_no_pods(type_, props):
    assert walk(resource(type_, props)) == ()


def test_namespaces():
    res = workload("Deployment", CLEAN_CPU_POD, namespace="")
    assert walk(res)[0].ctx.namespace == "default"
    assert walk(res, namespace_default="ml")[0].ctx.namespace == "ml"
    res = workload("Deployment", CLEAN_CPU_POD, namespace=UNKNOWN)
    assert walk(res)[0].ctx.namespace is UNKNOWN
    assert default_namespace(None) == "default"
    provider = PolicyProviderResource("pulumi:providers:kubernetes", {"namespace": "ml"}, "urn", "k8s")
    assert default_namespace(provider) == "ml"
    proxied = unknown_checking_proxy({"namespace": UNKNOWN_STRING_VALUE})
    assert default_namespace(PolicyProviderResource("pulumi:providers:kubernetes", proxied, "u", "k")) is UNKNOWN


def test_kind_of():
    assert kind_of("kubernetes:core/v1:Pod") == ("core", "Pod")
    assert kind_of("kubernetes:apiextensions.k8s.io:CustomResource", {"apiVersion": "v1", "kind": "Pod"}) == ("core", "Pod")
    assert kind_of("eks:index:Cluster") is None


def test_walk_is_cached_per_resource():
    props = materialize(workload("Deployment", CLEAN_CPU_POD)["props"])
    assert workloads("kubernetes:apps/v1:Deployment", props) is workloads("kubernetes:apps/v1:Deployment", props)


def test_materialize_reads_the_engines_proxies():
    raw = {"spec": {"replicas": 2.0, "template": {"spec": {"containers": [
        {"name": "c", "image": UNKNOWN_STRING_VALUE}], "tolerations": UNKNOWN_STRING_VALUE}}}}
    props = materialize(unknown_checking_proxy(deserialize_properties(raw)))
    pod = props["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] is UNKNOWN and pod["tolerations"] is UNKNOWN
    assert props["spec"]["replicas"] == 2 and type(props["spec"]) is dict
    assert materialize(props) is props
