"""Team namespaces and their quotas.

    mlplatform:teams:
      - name: ml-research            # the namespace; a DNS label
        ownersGroup: ml-research     # Kubernetes group bound to the team's Role (EKS access entry
                                     # kubernetesGroups, or the OIDC groups claim)
        roleArns: [arn:aws:iam::111122223333:role/ml-research]   # IAM roles mapped to ownersGroup
        gpuQuota: 4                  # requests.nvidia.com/gpu of the namespace
        cpuQuota: "64"               # requests.cpu
        memoryQuota: 256Gi           # requests.memory and limits.memory
        maxGpusPerPod: 4             # default: the most GPUs one node of any GPU pool has
        allowInferenceHigh: false    # may the team's pods use the preempting inference-high class?
        podSecurity: restricted      # Pod Security Standard enforced: restricted | baseline
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from domain.services import SERVICE_NAMESPACES

from .base import Settings
from .cluster import check_principal_arns
from .gpu import GpuFleet, capacity_breakdown, gpu_capacity
from .observability import MONITORING_NAMESPACE

_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$")
# Namespaces the platform itself owns; a team cannot take them over.
RESERVED_NAMESPACES = frozenset({
    "default", "kube-system", "kube-public", "kube-node-lease", "gpu-operator", "gpu-smoke-test", MONITORING_NAMESPACE,
    *SERVICE_NAMESPACES,
})


class TeamSettings(Settings):
    name: str = Field(description="Team namespace (a DNS label, not a platform namespace).")
    owners_group: str = Field(description="Kubernetes group bound to the team's Role (access entry kubernetesGroups or the OIDC groups claim).")
    gpu_quota: int = Field(default=0, ge=0, description="requests.nvidia.com/gpu of the namespace (counted against the GPU pools' capacity).")
    cpu_quota: str = Field(default="16", description="requests.cpu of the namespace (Kubernetes quantity).")
    memory_quota: str = Field(default="64Gi", description="requests.memory and limits.memory of the namespace (Kubernetes quantity).")
    max_gpus_per_pod: int | None = Field(default=None, ge=1, description="Most GPUs one container may request; empty: the largest GPU node, at most gpuQuota.")
    allow_inference_high: bool = Field(default=False, description="May the team's pods use the preempting inference-high PriorityClass?")
    pod_security: Literal["restricted", "baseline"] = Field(default="restricted", description="Pod Security Standard enforced on the namespace: restricted or baseline.")
    role_arns: list[str] = Field(default_factory=list, description=(
        "IAM roles of the team's members: each gets an EKS access entry whose kubernetesGroups is [ownersGroup], "
        "so the team's RoleBinding has members. Empty: the group is filled only by the OIDC groups claim, if any."))

    @field_validator("role_arns")
    @classmethod
    def _valid_roles(cls, value: list[str]) -> list[str]:
        return check_principal_arns(value)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"'{value}' is not a valid namespace name. Fix: use at most 63 lowercase letters, digits "
                             "and '-', starting with a letter.")
        if value in RESERVED_NAMESPACES or value.startswith("kube-"):
            raise ValueError(f"'{value}' is a namespace of the platform. Fix: pick another team name.")
        return value

    @field_validator("owners_group")
    @classmethod
    def _valid_group(cls, value: str) -> str:
        if not value or any(c.isspace() for c in value) or len(value) > 255:
            raise ValueError(f"'{value}' is not a Kubernetes group name. Fix: use the group your access entry's "
                             "kubernetesGroups (or the OIDC groups claim) gives the team, without spaces.")
        if value.startswith("system:"):
            raise ValueError(f"'{value}' is a Kubernetes system group. Fix: use a group of the team's own.")
        return value

    @field_validator("cpu_quota", "memory_quota", mode="before")
    @classmethod
    def _quantity(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and not _QUANTITY.match(value):
            raise ValueError(f"'{value}' is not a Kubernetes quantity. Fix: use a value such as 32, 500m or 128Gi.")
        return value

    def problems(self, platform: GpuFleet) -> list[str]:
        key = f"{platform.project}:teams[{self.name}]"
        problems: list[str] = []
        capacity = gpu_capacity(platform)
        if self.gpu_quota and not platform.gpu_pools:
            problems.append(f"{key}.gpuQuota: the team asks for {self.gpu_quota} GPU(s) but the stack has no enabled "
                            "GPU pool. Fix: add a pool of kind 'gpu' to nodePools, or set gpuQuota to 0.")
        elif self.gpu_quota > capacity:
            problems.append(f"{key}.gpuQuota: {self.gpu_quota} GPUs exceed the GPU pools' total capacity of "
                            f"{capacity} ({capacity_breakdown(platform)}). Fix: lower gpuQuota to at most {capacity}, "
                            "or raise the maxSize of a GPU pool.")
        if self.max_gpus_per_pod is not None:
            largest = max((p.gpus_per_node for p in platform.gpu_pools), default=0) * platform.gpu.time_slicing_replicas
            if not self.gpu_quota:
                problems.append(f"{key}.maxGpusPerPod: has no effect without a gpuQuota. Fix: remove it, or set "
                                "gpuQuota.")
            elif self.max_gpus_per_pod > largest:
                problems.append(f"{key}.maxGpusPerPod: {self.max_gpus_per_pod} GPUs do not fit on one node (the "
                                f"largest GPU node has {largest}). Fix: set it to at most {largest}.")
            elif self.max_gpus_per_pod > self.gpu_quota:
                problems.append(f"{key}.maxGpusPerPod: {self.max_gpus_per_pod} is more than the team's gpuQuota "
                                f"({self.gpu_quota}). Fix: set it to at most {self.gpu_quota}.")
        return problems

    def gpus_per_pod_limit(self, platform: GpuFleet) -> int:
        """The most GPUs one pod (container) of the team may ask for."""
        if self.max_gpus_per_pod is not None:
            return self.max_gpus_per_pod
        largest = max((p.gpus_per_node for p in platform.gpu_pools), default=0) * platform.gpu.time_slicing_replicas
        return min(largest, self.gpu_quota)
