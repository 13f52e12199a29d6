"""The shared workload walker: every pod spec a Kubernetes resource will create, with its context.

Given a resource's type token and its (camelCase) properties, `workloads()` returns one `Workload`
per pod template: one for a Deployment, one per replica type of a PyTorchJob, one for the head and
one per worker group of a RayCluster, one per component of a KServe InferenceService, and so on.
Pod-level policies are written once against a pod spec and apply to every kind listed in
`SUPPORTED_KINDS`.

Each kind is one declaration in `KINDS`: the paths of its pod templates (`Pods`), or, for kinds
whose pod fields are flat on the spec (NIMService, VLLMRuntime, TrainJob), a function that maps them
to a pod spec. A kind nobody declared is still walked: `discover()` finds every embedded pod spec (an
object with a `containers` list of images). What even that cannot read, the policy
gpu-workloads-readable reports when it asks for GPUs.

Resources created with pulumi_kubernetes' generic `CustomResource` have the type token
`kubernetes:apiextensions.k8s.io:CustomResource`; their group and kind come from the `apiVersion`
and `kind` properties instead. Versions are ignored (a `ray.io/v1alpha1` RayCluster is walked like a
`ray.io/v1` one): the pod template locations have not changed across versions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .values import UNKNOWN, Props, as_dict, as_list, dig, plain

CUSTOM_RESOURCE_TYPE = "kubernetes:apiextensions.k8s.io:CustomResource"

# Run-to-completion kinds: the only ones allowed on interruptible (spot) capacity, and the ones
# that must not preempt serving pods.
KUBEFLOW_JOB_KINDS = frozenset({"PyTorchJob", "TFJob", "MPIJob", "XGBoostJob", "PaddleJob", "JAXJob"})

# KServe fields of a predictor/explainer that each become a container (the "kserve-container").
_KSERVE_MODEL_KEYS = ("model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx",
                      "huggingface", "pmml", "lightgbm", "paddle", "alibi", "art")
_KSERVE_COMPONENTS = ("predictor", "transformer", "explainer")


@dataclass(frozen=True, slots=True)
class WorkloadContext:
    """Where a pod spec comes from. Any field may be `UNKNOWN` during preview."""

    kind: str
    name: Any  # metadata.name of the resource (str, UNKNOWN, or None when autonamed later)
    namespace: Any  # metadata.namespace, else the provider's default namespace, else "default"
    batch: bool  # run-to-completion (see BATCH_KINDS)
    replicas: Any  # desired pod count of this template; None for kinds without one (DaemonSet, Job)
    labels: Any  # labels of the pods (template metadata), a dict or UNKNOWN
    priority_class_name: Any  # spec.priorityClassName of the pod: str, None or UNKNOWN
    component: str | None = None  # e.g. "Worker", "predictor", "worker group gpu"

    def describe(self, fallback_name: str = "") -> str:
        name = self.name if isinstance(self.name, str) and self.name else fallback_name or "<unnamed>"
        namespace = self.namespace if isinstance(self.namespace, str) else "<unknown namespace>"
        where = f"{self.kind} {namespace}/{name}"
        return f"{where} [{self.component}]" if self.component else where


@dataclass(frozen=True, slots=True)
class Workload:
    pod: dict[str, Any]  # the pod spec: containers, initContainers, tolerations, nodeSelector, ...
    ctx: WorkloadContext
    # Facts derived from the pod (GPU demand) that several policies ask for; see scheduling.py.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


# (pod spec, pod labels, component, replicas) as an extractor finds them.
_Found = tuple[Any, Any, "str | None", Any]
_Extractor = Callable[[Props], Iterator[_Found]]


def _template(template: Any, component: str | None, replicas: Any) -> Iterator[_Found]:
    pod = dig(template, "spec")
    if isinstance(pod, dict):  # an unknown or absent template has nothing to check
        yield pod, dig(template, "metadata", "labels"), component, replicas


def _pod(props: Props) -> Iterator[_Found]:
    pod = props.get("spec")
    if isinstance(pod, dict):
        yield pod, dig(props, "metadata", "labels"), None, 1


def _kubeflow_job(props: Props) -> Iterator[_Found]:
    # spec.pytorchReplicaSpecs / tfReplicaSpecs / mpiReplicaSpecs / ...: {role: {replicas, template}}
    spec = as_dict(props.get("spec"))
    if spec is UNKNOWN:
        return
    for spec_field, replica_specs in spec.items():
        if not spec_field.endswith("ReplicaSpecs"):
            continue
        replica_specs = as_dict(replica_specs)
        if replica_specs is UNKNOWN:
            continue
        for role, replica_spec in replica_specs.items():
            replicas = dig(replica_spec, "replicas")
            yield from _template(dig(replica_spec, "template"), role, 1 if replicas is None else replicas)


def _ray_cluster_spec(cluster: Any, prefix: str = "") -> Iterator[_Found]:
    yield from _template(dig(cluster, "headGroupSpec", "template"), f"{prefix}head", 1)
    groups = as_list(dig(cluster, "workerGroupSpecs"))
    if groups is UNKNOWN:
        return
    for index, group in enumerate(groups):
        group_name = dig(group, "groupName")
        label = group_name if isinstance(group_name, str) and group_name else str(index)
        replicas = dig(group, "replicas")
        if replicas is None:
            replicas = dig(group, "minReplicas")
        yield from _template(dig(group, "template"), f"{prefix}worker group {label}", replicas)


def _ray_cluster(props: Props) -> Iterator[_Found]:
    yield from _ray_cluster_spec(dig(props, "spec"))


def _ray_job(props: Props) -> Iterator[_Found]:
    yield from _ray_cluster_spec(dig(props, "spec", "rayClusterSpec"))
    yield from _template(dig(props, "spec", "submitterPodTemplate"), "submitter", 1)


def _ray_service(props: Props) -> Iterator[_Found]:
    yield from _ray_cluster_spec(dig(props, "spec", "rayClusterConfig"))


def _kserve_pod(component: dict[str, Any]) -> dict[str, Any]:
    """A KServe component inlines the pod spec; its model/framework spec is one more container."""
    pod = {k: v for k, v in component.items() if k not in _KSERVE_MODEL_KEYS and k != "workerSpec"}
    containers = as_list(component.get("containers"))
    if containers is UNKNOWN:
        pod["containers"] = UNKNOWN
        return pod
    containers = list(containers)
    for key in _KSERVE_MODEL_KEYS:
        model = component.get(key)
        if isinstance(model, dict):
            containers.append({**model, "name": model.get("name") or "kserve-container"})
        elif model is UNKNOWN:
            containers.append(UNKNOWN)
    pod["containers"] = containers
    return pod


def _merge_labels(*label_sets: Any) -> Any:
    merged: dict[str, Any] = {}
    for labels in label_sets:
        labels = as_dict(labels)
        if labels is UNKNOWN:
            return UNKNOWN
        merged.update(labels)
    return merged


def _inference_service(props: Props) -> Iterator[_Found]:
    spec = dig(props, "spec")
    resource_labels = dig(props, "metadata", "labels")
    for name in _KSERVE_COMPONENTS:
        component = dig(spec, name)
        if not isinstance(component, dict):
            continue
        replicas = component.get("minReplicas")
        replicas = 1 if replicas is None else replicas
        labels = _merge_labels(resource_labels, component.get("labels"))
        yield _kserve_pod(component), labels, name, replicas
        worker = component.get("workerSpec")  # multi-node serving (tensor/pipeline parallel)
        if isinstance(worker, dict):
            yield _kserve_pod(worker), labels, f"{name}.worker", replicas


# --- declared pod locations -----------------------------------------------------------------------

@dataclass(frozen=True)
class Pods:
    """Where a kind keeps one kind of pod.

    `path` runs from the resource root; a `[]` step visits every item of a list (its `name` names the
    component). `shape` is "template" for a PodTemplateSpec (pod at `.spec`, labels at
    `.metadata.labels`) or "spec" for an inline PodSpec (labels at `labels`, relative to the parent).
    `replicas` is relative to the innermost list item, or to the root; `default_replicas` applies when
    it is unset (None: the kind has no replica count).
    """

    path: str
    shape: str = "template"
    component: str | None = None
    replicas: str | None = None
    default_replicas: Any = None
    labels: str | None = None
    # An operator fills these pod fields in when the resource leaves them empty: unset means unknown.
    operator_supplied: tuple[str, ...] = ()


@cache
def _steps(path: str | None) -> tuple[str, ...]:
    return tuple(path.split(".")) if path else ()


@cache
def _path_steps(path: str) -> tuple[str, ...]:
    return tuple(step for part in path.split(".") for step in ((part[:-2], "[]") if part.endswith("[]") else (part,)))


def _declared(pods: Pods, props: Props) -> Iterator[_Found]:
    steps = _path_steps(pods.path)

    def walk(value: Any, rest: tuple[str, ...], item: Any, names: tuple[str, ...]) -> Iterator[_Found]:
        if not rest:
            yield from _found(pods, value, item, names)
            return
        step, rest = rest[0], rest[1:]
        if step != "[]":
            yield from walk(dig(value, step), rest, item, names)
            return
        entries = as_list(value)
        for index, entry in enumerate([] if entries is UNKNOWN else entries):
            name = dig(entry, "name")
            yield from walk(entry, rest, entry, (*names, name if isinstance(name, str) and name else str(index)))

    yield from walk(props, steps, props, ())


def _found(pods: Pods, value: Any, item: Any, names: tuple[str, ...]) -> Iterator[_Found]:
    pod, labels = (dig(value, "spec"), dig(value, "metadata", "labels")) if pods.shape == "template" else (value, None)
    if not isinstance(pod, dict):
        return
    if pods.labels:
        labels = dig(item, *_steps(pods.labels))
    replicas = dig(item, *_steps(pods.replicas)) if pods.replicas else None
    replicas = pods.default_replicas if replicas is None else replicas
    for field_name in pods.operator_supplied:
        if not pod.get(field_name):
            pod = {**pod, field_name: UNKNOWN}
    component = " ".join(part for part in (pods.component, *names) if part) or None
    yield pod, labels, component, replicas


def _all_declared(*pods: Pods) -> _Extractor:
    def extract(props: Props) -> Iterator[_Found]:
        for entry in pods:
            yield from _declared(entry, props)
    return extract


# --- kinds whose pod fields are flat on the spec ---------------------------------------------------

def _image(repository: Any, tag: Any, separator: str = ":") -> Any:
    if UNKNOWN in (repository, tag):
        return UNKNOWN
    if not isinstance(repository, str) or not repository:
        return None
    return f"{repository}{separator}{tag}" if isinstance(tag, str) and tag else repository


def _pod_fields(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _nim_service(props: Props) -> Iterator[_Found]:
    """NVIDIA NIMService (apps.nvidia.com): one model-server container, pod fields flat on the spec."""
    spec = dig(props, "spec")
    if not isinstance(spec, dict):
        return
    container = _pod_fields(name="nim", image=_image(dig(spec, "image", "repository"), dig(spec, "image", "tag")),
                            resources=spec.get("resources"))
    pod = _pod_fields(containers=[container], tolerations=spec.get("tolerations"),
                      nodeSelector=spec.get("nodeSelector"))
    replicas = dig(spec, "scale", "hpa", "minReplicas") if dig(spec, "scale", "enabled") is True else spec.get("replicas")
    yield pod, spec.get("labels"), None, 1 if replicas is None else replicas


def _vllm_runtime(props: Props) -> Iterator[_Found]:
    """vLLM production stack VLLMRuntime: a GPU count, CPU and memory under deploymentConfig.resources."""
    config = dig(props, "spec", "deploymentConfig")
    if not isinstance(config, dict):
        return
    resources = as_dict(config.get("resources"))
    if resources is UNKNOWN:
        container_resources: Any = UNKNOWN
    else:
        gpus, gpu_type = resources.get("gpu"), resources.get("gpuType")
        gpu_name = gpu_type if isinstance(gpu_type, str) and "/" in gpu_type else "nvidia.com/gpu"
        requests = {k: resources[k] for k in ("cpu", "memory") if resources.get(k) not in (None, "")}
        container_resources = {"requests": requests}
        if gpus not in (None, "", 0, "0"):
            container_resources["limits"] = {gpu_name: gpus}
    image = dig(config, "image")
    container = _pod_fields(name="vllm", image=_image(dig(image, "registry"), dig(image, "name"), "/")
                            if dig(image, "registry") else dig(image, "name"), resources=container_resources)
    terms = config.get("nodeSelectorTerms")
    affinity = None if terms is None else {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": terms}}}
    tolerations = config.get("toleration", config.get("tolerations"))  # the CRD spells it `toleration`
    pod = _pod_fields(containers=[container], tolerations=tolerations, affinity=affinity)
    replicas = config.get("replicas")
    if dig(props, "spec", "autoscalingConfig", "enabled") is True:
        replicas = dig(props, "spec", "autoscalingConfig", "minReplicas")
    yield pod, None, None, 1 if replicas is None else replicas


_TRAINER_JOB = "node"  # the replicated job (and container) of a training runtime that TrainJob.spec.trainer overrides
_RUNTIME_JOBS = Pods("spec.template.spec.replicatedJobs[].template.spec.template", component="replicated job",
                     replicas="replicas", default_replicas=1)


def _training_runtime(props: Props) -> Iterator[_Found]:
    """(Cluster)TrainingRuntime: a JobSet template. The trainer node's resources come from each TrainJob's
    spec.trainer.resourcesPerNode, so where the runtime leaves them unset they are unknown here."""
    for pod, labels, component, replicas in _declared(_RUNTIME_JOBS, props):
        if component == f"replicated job {_TRAINER_JOB}":
            containers = as_list(pod.get("containers"))
            if containers is not UNKNOWN:
                pod = {**pod, "containers": [
                    {**c, "resources": UNKNOWN} if isinstance(c, dict) and c.get("name") == _TRAINER_JOB
                    and not c.get("resources") else c for c in containers]}
        yield pod, labels, component, replicas


def _train_job(props: Props) -> Iterator[_Found]:
    """Kubeflow Trainer TrainJob: GPUs per node at spec.trainer.resourcesPerNode; pod fields from
    spec.runtimePatches (the trainer job's pod patch) or else from the referenced runtime (unknown here)."""
    trainer = dig(props, "spec", "trainer")
    if not isinstance(trainer, dict):
        return
    patched: dict[str, Any] = {}
    patches = as_list(dig(props, "spec", "runtimePatches"))
    for patch in [] if patches is UNKNOWN else patches:
        jobs = as_list(dig(patch, "trainingRuntimeSpec", "template", "spec", "replicatedJobs"))
        for job in [] if jobs is UNKNOWN else jobs:
            if dig(job, "name") == _TRAINER_JOB and isinstance(dig(job, "template", "spec", "template", "spec"), dict):
                patched.update(dig(job, "template", "spec", "template", "spec"))
    # Unset image and resources come from the runtime's trainer container: unknown here.
    container = {"name": _TRAINER_JOB, "image": trainer.get("image", UNKNOWN),
                 "resources": trainer.get("resourcesPerNode", UNKNOWN)}
    pod: dict[str, Any] = {field_name: UNKNOWN for field_name in ("tolerations", "nodeSelector", "affinity",
                                                                  "priorityClassName")}
    pod.update({k: v for k, v in patched.items() if k not in ("containers", "initContainers")})
    pod["containers"] = [container]
    replicas = trainer.get("numNodes")
    yield pod, None, "trainer", 1 if replicas is None else replicas


# --- the declarations ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    """One workload kind: its API group and kind, where its pods are, and whether it runs to completion."""

    group: str
    kind: str
    pods: tuple[Pods, ...] = ()
    extract: _Extractor | None = None  # for kinds whose pod fields are not at declared paths
    batch: bool = False

    def extractor(self) -> _Extractor:
        return self.extract or _all_declared(*self.pods)


_REPLICATED = (Pods("spec.template", replicas="spec.replicas", default_replicas=1),)
_JOB = (Pods("spec.template"),)

KINDS: tuple[Kind, ...] = (
    Kind("core", "Pod", extract=_pod),
    Kind("apps", "Deployment", _REPLICATED),
    Kind("apps", "StatefulSet", _REPLICATED),
    Kind("apps", "ReplicaSet", _REPLICATED),
    Kind("apps", "DaemonSet", _JOB),
    Kind("batch", "Job", _JOB, batch=True),
    Kind("batch", "CronJob", (Pods("spec.jobTemplate.spec.template"),), batch=True),
    Kind("serving.kserve.io", "InferenceService", extract=_inference_service),
    Kind("serving.kserve.io", "LLMInferenceService", (
        Pods("spec.template", "spec", "main", "spec.replicas", 1, "spec.labels", ("containers",)),
        Pods("spec.worker", "spec", "worker", "spec.replicas", 1, "spec.labels", ("containers",)),
        Pods("spec.prefill.template", "spec", "prefill", "spec.prefill.replicas", 1, "spec.prefill.labels",
             ("containers",)),
        Pods("spec.prefill.worker", "spec", "prefill worker", "spec.prefill.replicas", 1, "spec.prefill.labels",
             ("containers",)),
        Pods("spec.router.scheduler.template", "spec", "scheduler", "spec.router.scheduler.replicas", 1,
             "spec.router.scheduler.labels"),
    )),
    Kind("ray.io", "RayCluster", extract=_ray_cluster),
    Kind("ray.io", "RayJob", extract=_ray_job, batch=True),
    Kind("ray.io", "RayService", extract=_ray_service),
    *(Kind("kubeflow.org", kind, extract=_kubeflow_job, batch=True) for kind in sorted(KUBEFLOW_JOB_KINDS)),
    Kind("jobset.x-k8s.io", "JobSet", (
        Pods("spec.replicatedJobs[].template.spec.template", component="replicated job", replicas="replicas",
             default_replicas=1),), batch=True),
    Kind("leaderworkerset.x-k8s.io", "LeaderWorkerSet", (
        Pods("spec.leaderWorkerTemplate.leaderTemplate", component="leader", replicas="spec.replicas",
             default_replicas=1),
        Pods("spec.leaderWorkerTemplate.workerTemplate", component="worker", replicas="spec.replicas",
             default_replicas=1),
    )),
    Kind("batch.volcano.sh", "Job", (
        Pods("spec.tasks[].template", component="task", replicas="replicas", default_replicas=1),), batch=True),
    Kind("trainer.kubeflow.org", "TrainJob", extract=_train_job, batch=True),
    Kind("trainer.kubeflow.org", "TrainingRuntime", extract=_training_runtime, batch=True),
    Kind("trainer.kubeflow.org", "ClusterTrainingRuntime", extract=_training_runtime, batch=True),
    Kind("apps.nvidia.com", "NIMService", extract=_nim_service),
    Kind("production-stack.vllm.ai", "VLLMRuntime", extract=_vllm_runtime),
    Kind("keda.sh", "ScaledJob", (Pods("spec.jobTargetRef.template"),), batch=True),
    Kind("keda.sh", "ScaledObject"),  # scales another workload; no pods of its own
    Kind("keda.sh", "TriggerAuthentication"),
)
_BY_GROUP_KIND: dict[tuple[str, str], Kind] = {(k.group, k.kind): k for k in KINDS}
_EXTRACTORS: dict[tuple[str, str], _Extractor] = {key: k.extractor() for key, k in _BY_GROUP_KIND.items()}
SUPPORTED_KINDS = frozenset(k.kind for k in KINDS if k.pods or k.extract)
BATCH_KINDS = frozenset(k.kind for k in KINDS if k.batch)
_BATCH = frozenset(key for key, k in _BY_GROUP_KIND.items() if k.batch)

# Kubernetes' own API groups (and pulumi_kubernetes' component groups): every kind in them that runs
# pods is declared above, so nothing else there needs the generic walker.
BUILT_IN_GROUPS = frozenset({
    "core", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "scheduling.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io",
    "apiregistration.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "node.k8s.io",
    "certificates.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io", "authentication.k8s.io",
    "authorization.k8s.io", "storagemigration.k8s.io", "internal.apiserver.k8s.io", "helm.sh", "yaml",
    "kustomize",
})


def is_declared(group_kind: tuple[str, str] | None) -> bool:
    """Whether the pack knows this kind's pods (or that it has none)."""
    return group_kind is not None and (group_kind in _BY_GROUP_KIND or group_kind[0] in BUILT_IN_GROUPS)


# --- the generic walker ----------------------------------------------------------------------------

_MAX_DEPTH = 24
_SKIPPED_ROOT_KEYS = frozenset({"apiVersion", "kind", "metadata", "status"})


def looks_like_pod(value: Any) -> bool:
    """A pod spec as any CRD embeds one: a `containers` list whose entries have an `image`."""
    if not isinstance(value, dict):
        return False
    containers = value.get("containers")
    return isinstance(containers, list) and any(isinstance(c, dict) and "image" in c for c in containers)


def discover(props: Props) -> Iterator[tuple[Any, Any, str, Any]]:
    """(pod spec, labels, path, replicas) of every pod spec found anywhere in an undeclared resource."""

    def walk(value: Any, path: tuple[str, ...], parent: Any) -> Iterator[tuple[Any, Any, str, Any]]:
        if len(path) > _MAX_DEPTH:
            return
        if looks_like_pod(value):
            template = parent if path and path[-1] == "spec" and isinstance(parent, dict) else None
            labels = dig(template, "metadata", "labels") if template is not None else value.get("labels")
            yield value, labels, ".".join(path), None
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if not path and key in _SKIPPED_ROOT_KEYS:
                    continue
                yield from walk(item, (*path, str(key)), value)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, (*path[:-1], f"{path[-1]}[{index}]") if path else (f"[{index}]",), parent)

    yield from walk(props, (), None)


def may_have_workloads(resource_type: str) -> bool:
    """False when the type token alone rules out pod templates (used to skip policies cheaply)."""
    known = _MAY_HAVE_WORKLOADS.get(resource_type)
    if known is None:
        group_kind = None if resource_type == CUSTOM_RESOURCE_TYPE else kind_of(resource_type)
        known = resource_type == CUSTOM_RESOURCE_TYPE or group_kind in _EXTRACTORS or (
            group_kind is not None and group_kind[0] not in BUILT_IN_GROUPS)
        _MAY_HAVE_WORKLOADS[resource_type] = known
    return known


_MAY_HAVE_WORKLOADS: dict[str, bool] = {}


def kind_of(resource_type: str, props: Any = None) -> tuple[str, str] | None:
    """(API group, kind) of a Kubernetes resource; the core group is "core". None for non-Kubernetes types."""
    if not resource_type.startswith("kubernetes:"):
        return None
    if resource_type == CUSTOM_RESOURCE_TYPE:
        api_version, kind = dig(props, "apiVersion"), dig(props, "kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return None
        return (api_version.split("/", 1)[0] if "/" in api_version else "core"), kind
    parts = resource_type.split(":")
    if len(parts) != 3:
        return None
    return parts[1].split("/", 1)[0], parts[2]


def default_namespace(provider: Any) -> Any:
    """The namespace a namespaced resource without metadata.namespace lands in: the Kubernetes
    provider's `namespace` setting if any, else "default". `provider` is a PolicyProviderResource
    (or anything with `props`) or None."""
    props = getattr(provider, "props", None)
    if props is None:
        return "default"
    try:
        namespace = plain(props.get("namespace"))
    except UnknownValueError:
        return UNKNOWN
    if namespace is UNKNOWN:
        return UNKNOWN
    return namespace if isinstance(namespace, str) and namespace else "default"


def namespace_of(props: Any, fallback: Any = "default") -> Any:
    namespace = dig(props, "metadata", "namespace")
    if namespace is UNKNOWN:
        return UNKNOWN
    return namespace if isinstance(namespace, str) and namespace else fallback


def _name_or_unknown(value: Any) -> Any:
    """A name field: the string, None when unset, UNKNOWN when unknown or malformed (the API server would
    reject a malformed one; it is not the pack's to judge)."""
    return value if value is None or isinstance(value, str) else UNKNOWN


def workloads(resource_type: str, props: Props, namespace_default: Any = "default") -> tuple[Workload, ...]:
    """Every pod spec `props` (materialized) will create; () for anything that creates no pods."""
    if not resource_type.startswith("kubernetes:"):
        return ()
    cache_key = ("workloads", resource_type, namespace_default)
    cached = props.cache.get(cache_key)
    if cached is not None:
        return cached
    group_kind = kind_of(resource_type, props)
    result: tuple[Workload, ...] = ()
    if group_kind is not None:
        extractor = _EXTRACTORS.get(group_kind)
        name = dig(props, "metadata", "name")
        namespace = namespace_of(props, namespace_default)
        if extractor is not None:
            batch = group_kind in _BATCH
            found = [(pod, labels, component, replicas, batch) for pod, labels, component, replicas in extractor(props)]
        elif group_kind[0] not in BUILT_IN_GROUPS:
            # Not declared: any pod spec a CRD embeds is still checked. It runs to completion if it
            # cannot restart (Deployments and other services require restartPolicy Always).
            found = [(pod, labels, path, replicas, pod.get("restartPolicy") in ("Never", "OnFailure"))
                     for pod, labels, path, replicas in discover(props)]
        else:
            found = []
        result = tuple(
            Workload(pod, WorkloadContext(
                kind=group_kind[1], name=name, namespace=namespace, batch=batch, replicas=replicas,
                labels=UNKNOWN if labels is UNKNOWN else as_dict(labels),
                priority_class_name=_name_or_unknown(pod.get("priorityClassName")), component=component,
            ))
            for pod, labels, component, replicas, batch in found
        )
    props.cache[cache_key] = result
    return result
