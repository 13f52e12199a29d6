"""Per-kind specs: every kind that can run GPU pods is checked like a Deployment.

Each case is written from the facts of the project's published API and examples (field paths, defaults),
in our own words: a compliant GPU workload passes every resource policy, and each broken variant fails
exactly the policy it breaks. The pod facts are the same for every kind; `build` puts them where that kind
keeps them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from harness import GPU_TOLERATION, SPOT_TOLERATION, load_stack_config, run_pack
from pulumi_policy import ResourceValidationPolicy

from policy.mlpolicies import POLICIES, materialize, workloads

RESOURCE_POLICIES = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
CR = "kubernetes:apiextensions.k8s.io:CustomResource"


@dataclass
class Pod:
    """What a case says about the pod, independent of where a kind keeps it."""

    gpus: Any = "1"
    tolerations: list[Any] = field(default_factory=lambda: [GPU_TOLERATION])
    pool: str | None = "gpu"
    image: str = "registry.example.com/llm:1.4.2"
    requests: bool = True
    gpu_resource: str = "nvidia.com/gpu"

    def resources(self) -> dict[str, Any]:
        out: dict[str, Any] = {"requests": {"cpu": "4", "memory": "16Gi"}} if self.requests else {}
        if self.gpus is not None:
            out["limits"] = {self.gpu_resource: self.gpus}
        return out

    def container(self, name: str = "main") -> dict[str, Any]:
        return {"name": name, "image": self.image, "resources": self.resources()}

    def spec(self, name: str = "main", **extra: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {"containers": [self.container(name)], "tolerations": self.tolerations, **extra}
        if self.pool:
            spec["nodeSelector"] = {"node-pool": self.pool}
        return spec


def custom(api_version: str, kind: str, spec: dict[str, Any], name: str = "llm") -> dict[str, Any]:
    return {"type": CR, "name": name, "props": {"apiVersion": api_version, "kind": kind,
                                                "metadata": {"name": name, "namespace": "ml-serving"}, "spec": spec}}


def llm_inference_service(pod: Pod) -> dict[str, Any]:
    # KServe LLMInferenceService: the decode pods' PodSpec sits inline at spec.template; the model server
    # container is "main"; the model comes from spec.model.uri.
    return custom("serving.kserve.io/v1alpha2", "LLMInferenceService", {
        "model": {"uri": "hf://example-org/small-model", "name": "small"}, "replicas": 1,
        "template": pod.spec("main")})


def llm_inference_service_prefill(pod: Pod) -> dict[str, Any]:
    # Disaggregated serving: the prefill workload has its own template; the decode pods are clean CPU-free GPU pods.
    good = Pod()
    return custom("serving.kserve.io/v1alpha2", "LLMInferenceService", {
        "model": {"uri": "hf://example-org/small-model"}, "template": good.spec("main"),
        "prefill": {"replicas": 1, "template": pod.spec("main")}})


def jobset(pod: Pod) -> dict[str, Any]:
    # JobSet: each replicated job holds a Job template, whose spec.template is the pod template.
    return custom("jobset.x-k8s.io/v1alpha2", "JobSet", {"replicatedJobs": [{
        "name": "workers", "replicas": 2,
        "template": {"spec": {"parallelism": 2, "completions": 2, "backoffLimit": 0,
                              "template": {"spec": pod.spec("trainer", restartPolicy="Never",
                                                            priorityClassName="training-low")}}}}]})


def leader_worker_set(pod: Pod) -> dict[str, Any]:
    # LeaderWorkerSet: groups of `size` pods; the worker template is required, the leader template optional.
    return custom("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet", {
        "replicas": 1, "leaderWorkerTemplate": {"size": 2, "workerTemplate": {"spec": pod.spec("vllm")}}})


def volcano_job(pod: Pod) -> dict[str, Any]:
    # Volcano Job (group batch.volcano.sh, not batch): pods per task at spec.tasks[].template.
    return custom("batch.volcano.sh/v1alpha1", "Job", {
        "schedulerName": "volcano", "minAvailable": 2,
        "tasks": [{"name": "worker", "replicas": 2,
                   "template": {"spec": pod.spec("worker", restartPolicy="OnFailure",
                                                 priorityClassName="training-low")}}]})


def train_job(pod: Pod) -> dict[str, Any]:
    # Kubeflow Trainer TrainJob: GPUs per node at spec.trainer.resourcesPerNode; pod fields through a
    # runtime patch of the "node" replicated job (the trainer), otherwise from the referenced runtime.
    patch_pod: dict[str, Any] = {"tolerations": pod.tolerations} if pod.tolerations else {}
    if pod.pool:
        patch_pod["nodeSelector"] = {"node-pool": pod.pool}
    return custom("trainer.kubeflow.org/v1alpha1", "TrainJob", {
        "runtimeRef": {"name": "torch-distributed"},
        "trainer": {"image": pod.image, "numNodes": 2, "resourcesPerNode": pod.resources()},
        "runtimePatches": [{"manager": "platform.example.com/scheduling", "trainingRuntimeSpec": {"template": {
            "spec": {"replicatedJobs": [{"name": "node", "template": {"spec": {"template": {
                "spec": patch_pod}}}}]}}}}]})


def training_runtime(pod: Pod) -> dict[str, Any]:
    # (Cluster)TrainingRuntime: a JobSet template at spec.template; the trainer job is named "node".
    return custom("trainer.kubeflow.org/v1alpha1", "ClusterTrainingRuntime", {
        "mlPolicy": {"numNodes": 1, "torch": {}},
        "template": {"spec": {"replicatedJobs": [{"name": "node", "template": {"spec": {"template": {
            "spec": pod.spec("node", restartPolicy="Never", priorityClassName="training-low")}}}}]}}})


def nim_service(pod: Pod) -> dict[str, Any]:
    # NVIDIA NIMService: image as repository + tag, and resources, tolerations, nodeSelector flat on the spec.
    repository, _, tag = pod.image.rpartition(":")
    spec: dict[str, Any] = {"image": {"repository": repository, "tag": tag}, "authSecret": "ngc-api",
                            "replicas": 1, "resources": pod.resources(), "tolerations": pod.tolerations,
                            "expose": {"service": {"type": "ClusterIP", "port": 8000}}}
    if pod.pool:
        spec["nodeSelector"] = {"node-pool": pod.pool}
    return custom("apps.nvidia.com/v1alpha1", "NIMService", spec)


def vllm_runtime(pod: Pod) -> dict[str, Any]:
    # vLLM production stack VLLMRuntime: a GPU count at deploymentConfig.resources.gpu, the tolerations list
    # under deploymentConfig (spelled `toleration`), placement as nodeSelectorTerms.
    registry, _, name = pod.image.partition("/")
    resources: dict[str, Any] = {"cpu": "4", "memory": "16Gi"} if pod.requests else {}
    if pod.gpus is not None:
        resources["gpu"] = pod.gpus
        if pod.gpu_resource != "nvidia.com/gpu":
            resources["gpuType"] = pod.gpu_resource
    config: dict[str, Any] = {"replicas": 1, "resources": resources, "image": {"registry": registry, "name": name},
                              "toleration": pod.tolerations}
    if pod.pool:
        config["nodeSelectorTerms"] = [{"matchExpressions": [{"key": "node-pool", "operator": "In",
                                                              "values": [pod.pool]}]}]
    return custom("production-stack.vllm.ai/v1alpha1", "VLLMRuntime", {
        "model": {"modelURL": "example-org/small-model"}, "vllmConfig": {"port": 8000}, "deploymentConfig": config})


def scaled_job(pod: Pod) -> dict[str, Any]:
    # KEDA ScaledJob: a Job spec at spec.jobTargetRef, scaled from a queue.
    return custom("keda.sh/v1alpha1", "ScaledJob", {
        "jobTargetRef": {"parallelism": 1, "template": {"spec": pod.spec("worker", restartPolicy="Never",
                                                                         priorityClassName="training-low")}},
        "maxReplicaCount": 4,
        "triggers": [{"type": "aws-sqs-queue", "metadata": {"queueURL": "https://sqs.example/q", "queueLength": "5"}}]})


def undeclared_crd(pod: Pod) -> dict[str, Any]:
    # A CRD nobody declared whose pods are standard: the generic walker finds the embedded pod template.
    return custom("serving.example.com/v1", "ModelServer", {
        "replicas": 2, "podTemplate": {"metadata": {"labels": {"app": "llm"}}, "spec": pod.spec("server")}})


@dataclass(frozen=True)
class KindCase:
    kind: str
    build: Callable[[Pod], dict[str, Any]]
    batch: bool
    pod_path: str


KINDS = [
    KindCase("LLMInferenceService", llm_inference_service, False, "spec.template (and spec.worker)"),
    KindCase("LLMInferenceService prefill", llm_inference_service_prefill, False,
             "spec.prefill.template (and spec.prefill.worker)"),
    KindCase("JobSet", jobset, True, "spec.replicatedJobs[].template.spec.template"),
    KindCase("LeaderWorkerSet", leader_worker_set, False,
             "spec.leaderWorkerTemplate.leaderTemplate, .workerTemplate"),
    KindCase("Volcano Job", volcano_job, True, "spec.tasks[].template"),
    KindCase("TrainJob", train_job, True, "spec.trainer (resourcesPerNode) + spec.runtimePatches[] node pod patch"),
    KindCase("ClusterTrainingRuntime", training_runtime, True, "spec.template.spec.replicatedJobs[].template.spec.template"),
    KindCase("NIMService", nim_service, False, "flat: spec.image, resources, tolerations, nodeSelector"),
    KindCase("VLLMRuntime", vllm_runtime, False, "flat: spec.deploymentConfig.resources.gpu, toleration, nodeSelectorTerms"),
    KindCase("KEDA ScaledJob", scaled_job, True, "spec.jobTargetRef.template"),
    KindCase("undeclared CRD (generic walker)", undeclared_crd, False, "any object with a containers list of images"),
]

# case -> (pod facts, the policies it must fail; None: depends on the kind)
CASES: dict[str, tuple[Pod, set[str] | None]] = {
    "compliant GPU pod": (Pod(), set()),
    "GPU without the GPU toleration": (Pod(tolerations=[]), {"gpu-toleration-required"}),
    "shared GPU (time-slicing) with the toleration": (Pod(gpu_resource="nvidia.com/gpu.shared"), set()),
    "GPU toleration without a GPU": (Pod(gpus=None), {"no-gpu-toleration-without-gpu"}),
    "fractional GPU count": (Pod(gpus="0.5"), {"gpu-limits-required"}),
    "GPU without a pool selector": (Pod(pool=None), {"gpu-node-selector-advised"}),
    "mutable image tag": (Pod(image="registry.example.com/llm:latest"), {"no-latest-images"}),
    "no CPU and memory requests": (Pod(requests=False), {"container-resource-requests"}),
    "spot toleration": (Pod(tolerations=[GPU_TOLERATION, SPOT_TOLERATION]), None),
}


def findings(resource: dict[str, Any]) -> set[str]:
    return {v.policy_name for v in run_pack([resource], load_stack_config("prod"), policies=RESOURCE_POLICIES)}


def expected(case: str, kind: KindCase) -> set[str]:
    policies = CASES[case][1]
    if policies is None:  # spot capacity is for run-to-completion work only
        return set() if kind.batch else {"spot-for-interruptible-only"}
    if kind.kind == "TrainJob" and case in ("GPU without the GPU toleration", "GPU without a pool selector"):
        return set()  # unpatched pod fields come from the referenced runtime, unknown here
    return policies


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_kind_case(kind, case):
    assert findings(kind.build(CASES[case][0])) == expected(case, kind)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_kind_yields_its_pods_with_batch_and_namespace(kind):
    resource = kind.build(Pod())
    found = workloads(resource["type"], materialize(resource["props"]))
    assert found and all(w.ctx.namespace == "ml-serving" for w in found)
    assert {w.ctx.batch for w in found} == {kind.batch}


def test_train_job_without_resources_per_node_reads_them_from_the_runtime():
    resource = train_job(Pod())
    del resource["props"]["spec"]["trainer"]["resourcesPerNode"]
    del resource["props"]["spec"]["runtimePatches"]
    assert findings(resource) == set()


def test_training_runtime_leaves_the_trainer_resources_to_the_train_job():
    pod = Pod(gpus=None)
    resource = training_runtime(pod)
    node = resource["props"]["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
    node["containers"][0].pop("resources")
    assert findings(resource) == set()  # tolerating GPUs is fine: the TrainJob brings them


def test_llm_inference_service_template_without_containers_is_filled_by_its_config():
    resource = llm_inference_service(Pod())
    resource["props"]["spec"]["template"].pop("containers")
    assert findings(resource) == set()


def test_vllm_runtime_accepts_tolerations_spelled_either_way():
    resource = vllm_runtime(Pod(tolerations=[]))
    resource["props"]["spec"]["deploymentConfig"]["tolerations"] = [GPU_TOLERATION]
    del resource["props"]["spec"]["deploymentConfig"]["toleration"]
    assert findings(resource) == set()


def test_typed_crd_tokens_are_read_like_custom_resources():
    resource = jobset(Pod(tolerations=[]))
    resource["type"] = "kubernetes:jobset.x-k8s.io/v1alpha2:JobSet"
    assert findings(resource) == {"gpu-toleration-required"}


def test_mig_profile_counts_as_a_gpu():
    pod = Pod()
    resource = nim_service(pod)
    resource["props"]["spec"]["resources"]["limits"] = {"nvidia.com/mig-1g.5gb": "1"}
    assert findings(resource) == set()
    resource["props"]["spec"]["tolerations"] = []
    assert findings(resource) == {"gpu-toleration-required"}
