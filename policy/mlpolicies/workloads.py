"""The shared workload walker: every pod spec a Kubernetes resource will create, with its context.

Given a resource's type token and its (camelCase) properties, `workloads()` returns one `Workload`
per pod template: one for a Deployment, one per replica type of a PyTorchJob, one for the head and
one per worker group of a RayCluster, one per component of a KServe InferenceService, and so on.
Pod-level policies are written once against a pod spec and apply to every kind listed in
`SUPPORTED_KINDS`.

Resources created with pulumi_kubernetes' generic `CustomResource` have the type token
`kubernetes:apiextensions.k8s.io:CustomResource`; their group and kind come from the `apiVersion`
and `kind` properties instead. Versions are ignored (a `ray.io/v1alpha1` RayCluster is walked like a
`ray.io/v1` one): the pod template locations have not changed across versions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .values import UNKNOWN, Props, as_dict, as_list, dig, plain

CUSTOM_RESOURCE_TYPE = "kubernetes:apiextensions.k8s.io:CustomResource"

# Run-to-completion kinds: the only ones allowed on interruptible (spot) capacity, and the ones
# that must not preempt serving pods.
KUBEFLOW_JOB_KINDS = frozenset({"PyTorchJob", "TFJob", "MPIJob", "XGBoostJob", "PaddleJob", "JAXJob"})
BATCH_KINDS = frozenset({"Job", "CronJob", "RayJob"}) | KUBEFLOW_JOB_KINDS

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


def _replicated(props: Props) -> Iterator[_Found]:
    replicas = dig(props, "spec", "replicas")
    yield from _template(dig(props, "spec", "template"), None, 1 if replicas is None else replicas)


def _daemon_set(props: Props) -> Iterator[_Found]:
    yield from _template(dig(props, "spec", "template"), None, None)


def _job(props: Props) -> Iterator[_Found]:
    yield from _template(dig(props, "spec", "template"), None, None)


def _cron_job(props: Props) -> Iterator[_Found]:
    yield from _template(dig(props, "spec", "jobTemplate", "spec", "template"), None, None)


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


_EXTRACTORS: dict[tuple[str, str], _Extractor] = {
    ("core", "Pod"): _pod,
    ("apps", "Deployment"): _replicated,
    ("apps", "StatefulSet"): _replicated,
    ("apps", "ReplicaSet"): _replicated,
    ("apps", "DaemonSet"): _daemon_set,
    ("batch", "Job"): _job,
    ("batch", "CronJob"): _cron_job,
    ("serving.kserve.io", "InferenceService"): _inference_service,
    ("ray.io", "RayCluster"): _ray_cluster,
    ("ray.io", "RayJob"): _ray_job,
    ("ray.io", "RayService"): _ray_service,
    **{("kubeflow.org", kind): _kubeflow_job for kind in KUBEFLOW_JOB_KINDS},
}
SUPPORTED_KINDS = frozenset(kind for _, kind in _EXTRACTORS)


def may_have_workloads(resource_type: str) -> bool:
    """False when the type token alone rules out pod templates (used to skip policies cheaply)."""
    known = _MAY_HAVE_WORKLOADS.get(resource_type)
    if known is None:
        group_kind = None if resource_type == CUSTOM_RESOURCE_TYPE else kind_of(resource_type)
        known = resource_type == CUSTOM_RESOURCE_TYPE or group_kind in _EXTRACTORS
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


def workloads(resource_type: str, props: Props, namespace_default: Any = "default") -> tuple[Workload, ...]:
    """Every pod spec `props` (materialized) will create; () for anything that creates no pods."""
    if not resource_type.startswith("kubernetes:"):
        return ()
    cache_key = ("workloads", resource_type, namespace_default)
    cached = props.cache.get(cache_key)
    if cached is not None:
        return cached
    group_kind = kind_of(resource_type, props)
    extractor = _EXTRACTORS.get(group_kind) if group_kind else None
    result: tuple[Workload, ...] = ()
    if extractor is not None:
        kind = group_kind[1]
        name = dig(props, "metadata", "name")
        namespace = namespace_of(props, namespace_default)
        batch = kind in BATCH_KINDS
        result = tuple(
            Workload(pod, WorkloadContext(
                kind=kind, name=name, namespace=namespace, batch=batch, replicas=replicas,
                labels=UNKNOWN if labels is UNKNOWN else as_dict(labels),
                priority_class_name=pod.get("priorityClassName"), component=component,
            ))
            for pod, labels, component, replicas in extractor(props)
        )
    props.cache[cache_key] = result
    return result
