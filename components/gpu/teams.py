"""Team namespaces: quota, limits, Pod Security, default-deny ingress and the team's RBAC.

Each `mlplatform:teams[]` entry becomes a namespace (PlatformNamespace: PSS labels, ingress only from the
namespace itself and from monitoring) with:

- ResourceQuota `team-quota`: requests.cpu, requests.memory and requests.nvidia.com/gpu. Extended
  resources can only be quota'd with the `requests.` prefix; since their request must equal their limit,
  that caps GPU limits too. A team with gpuQuota 0 gets `requests.nvidia.com/gpu: "0"`: no GPUs at all.
- ResourceQuota `no-inference-high` (unless allowInferenceHigh): zero pods in the preempting
  `inference-high` class, so only serving teams can evict others.
- LimitRange `team-limits`: default requests (100m CPU, 256Mi) for containers that set none, and per
  container maxima: the largest workload node's CPU and memory (bigger can never schedule; the
  autoscaler would look for it forever) and maxGpusPerPod GPUs. GPU defaults are 0, never 1: a LimitRange
  `max` without a `default` would make its value every container's default, handing each a GPU.
  (Kubernetes also turns each `max` into the default *limit*, which for CPU and memory means "at most a
  node", so limits are not part of the quota.)
- Role `team-owner` + RoleBinding to the team's Kubernetes group (`ownersGroup`): workloads, config,
  secrets, debugging; read-only for quotas, limits and network policies, which the platform owns.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.gpu.operator import GPU_RESOURCE
from components.gpu.scheduling import INFERENCE_HIGH
from components.kube import api_fields
from components.namespace import PlatformNamespace
from domain import catalog
from domain.settings.gpu_layer import GpuLayerSettings
from domain.settings.observability import MONITORING_NAMESPACE
from domain.settings.teams import TeamSettings

TEAM_LABEL = "mlplatform.io/team"
WORKLOAD_POOL_KINDS = ("cpu", "gpu", "spot")
DEFAULT_CPU_REQUEST = "100m"
DEFAULT_MEMORY_REQUEST = "256Mi"


def team_labels(team: TeamSettings) -> dict[str, str]:
    return {TEAM_LABEL: team.name}


def team_quota_spec(team: TeamSettings) -> dict[str, Any]:
    return {"hard": {
        "requests.cpu": team.cpu_quota,
        "requests.memory": team.memory_quota,
        f"requests.{GPU_RESOURCE}": str(team.gpu_quota),
    }}


def inference_high_quota_spec(team: TeamSettings) -> dict[str, Any] | None:
    """A zero-pod quota scoped to the inference-high class, unless the team may serve."""
    if team.allow_inference_high:
        return None
    return {
        "hard": {"pods": "0"},
        "scopeSelector": {"matchExpressions": [
            {"scopeName": "PriorityClass", "operator": "In", "values": [INFERENCE_HIGH]},
        ]},
    }


def largest_workload_node(settings: GpuLayerSettings) -> tuple[int, float]:
    """(vCPU, GiB) of the largest instance type any workload pool (cpu, gpu, spot) can launch."""
    pools = [p for p in settings.pools if p.kind in WORKLOAD_POOL_KINDS] or settings.pools
    types = [catalog.INSTANCE_TYPES[t] for p in pools for t in p.instance_types]
    return max(t.vcpu for t in types), max(t.memory_gib for t in types)


def _gib(value: float) -> str:
    return f"{int(value)}Gi" if float(value).is_integer() else f"{int(value * 1024)}Mi"


def team_limit_range_spec(team: TeamSettings, settings: GpuLayerSettings) -> dict[str, Any]:
    vcpu, memory = largest_workload_node(settings)
    container: dict[str, Any] = {
        "type": "Container",
        "defaultRequest": {"cpu": DEFAULT_CPU_REQUEST, "memory": DEFAULT_MEMORY_REQUEST},
        "max": {"cpu": str(vcpu), "memory": _gib(memory)},
    }
    if team.gpu_quota:
        container["default"] = {GPU_RESOURCE: "0"}
        container["defaultRequest"][GPU_RESOURCE] = "0"
        container["max"][GPU_RESOURCE] = str(team.gpus_per_pod_limit(settings))
    return {"limits": [container]}


_ALL = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
_READ = ["get", "list", "watch"]


def team_role_rules() -> list[dict[str, Any]]:
    return [
        {"apiGroups": [""], "resources": ["pods", "services", "endpoints", "configmaps", "secrets",
                                           "persistentvolumeclaims", "serviceaccounts"], "verbs": _ALL},
        {"apiGroups": [""], "resources": ["pods/log", "pods/status", "events", "resourcequotas", "limitranges"],
         "verbs": _READ},
        {"apiGroups": [""], "resources": ["pods/exec", "pods/attach", "pods/portforward"], "verbs": ["create", "get"]},
        {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets", "replicasets"], "verbs": _ALL},
        {"apiGroups": ["apps"], "resources": ["deployments/scale", "statefulsets/scale"], "verbs": ["get", "update", "patch"]},
        {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": _ALL},
        {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": _ALL},
        {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": _ALL},
        {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": _ALL},
        {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": _READ},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": _READ},
    ]


def team_role_binding_spec(team: TeamSettings, role_name: str) -> dict[str, Any]:
    return {
        "subjects": [{"kind": "Group", "name": team.owners_group, "apiGroup": "rbac.authorization.k8s.io"}],
        "role_ref": {"kind": "Role", "name": role_name, "apiGroup": "rbac.authorization.k8s.io"},
    }


class TeamNamespace(pulumi.ComponentResource):
    """One team's namespace and guardrails. Exposes `namespace`, `quota`, `inference_quota` (or None),
    `limit_range`, `role` and `role_binding`."""

    def __init__(self, name: str, team: TeamSettings, settings: GpuLayerSettings,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:gpu:TeamNamespace", name, None, opts)
        ns = team.name
        self.namespace = PlatformNamespace(f"{name}-ns", ns, pss_level=team.pod_security,
                                           allow_from_namespaces=[MONITORING_NAMESPACE], labels=team_labels(team),
                                           opts=pulumi.ResourceOptions(parent=self))
        inside = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace.namespace])

        def meta(object_name: str) -> k8s.meta.v1.ObjectMetaArgsDict:
            return {"name": object_name, "namespace": ns, "labels": team_labels(team)}

        self.quota = k8s.core.v1.ResourceQuota(f"{name}-quota", metadata=meta("team-quota"),
                                               spec=api_fields(team_quota_spec(team)), opts=inside)
        self.inference_quota: k8s.core.v1.ResourceQuota | None = None
        scoped = inference_high_quota_spec(team)
        if scoped is not None:
            self.inference_quota = k8s.core.v1.ResourceQuota(f"{name}-no-inference-high",
                                                             metadata=meta("no-inference-high"), spec=api_fields(scoped),
                                                             opts=inside)
        self.limit_range = k8s.core.v1.LimitRange(f"{name}-limits", metadata=meta("team-limits"),
                                                  spec=api_fields(team_limit_range_spec(team, settings)), opts=inside)
        self.role = k8s.rbac.v1.Role(f"{name}-owner", metadata=meta("team-owner"), rules=api_fields(team_role_rules()),
                                     opts=inside)
        self.role_binding = k8s.rbac.v1.RoleBinding(f"{name}-owner", metadata=meta("team-owner"),
                                                    **api_fields(team_role_binding_spec(team, "team-owner")),
                                                    opts=pulumi.ResourceOptions(parent=self,
                                                                                depends_on=[self.role]))
        self.register_outputs({"namespace": ns})
