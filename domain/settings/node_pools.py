"""Node pool settings. Pools are data: each is one EKS managed node group.

A pool has a `kind` that supplies its defaults (taints, labels, AMI, instance types); anything set in
config wins. Adding a second GPU pool or removing the spot pool is a change to `nodePools` in config.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .. import catalog
from .base import Settings

PoolKind = Literal["system", "cpu", "gpu", "spot", "monitoring"]
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

POOL_LABEL = "node-pool"
GPU_TAINT_KEY = "nvidia.com/gpu"
SPOT_TAINT_KEY = "spot"
SYSTEM_TAINT_KEY = "CriticalAddonsOnly"
MONITORING_TAINT_KEY = "dedicated"
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"

NVIDIA_AMI_TYPES = (
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA",
)
AMI_TYPES = (
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
    *NVIDIA_AMI_TYPES,
)

# EKS node group names are at most 63 characters; a name prefix gets the AWS provider's unique suffix
# (terraform-plugin-sdk helper/id: UniqueIdSuffixLength = 26).
NODE_GROUP_NAME_MAX = 63
UNIQUE_SUFFIX_LENGTH = 26


def zonal_suffix(zone_index: int) -> str:
    """The name suffix of a perAz pool's node group in its zone_index-th AZ ("-az1", ...)."""
    return f"-az{zone_index + 1}"


def node_group_name_prefix(cluster_name: str, pool_name: str, suffix: str = "") -> str:
    """The name prefix of a pool's managed node group (components/node_pools.py); `suffix`: zonal_suffix."""
    return f"{cluster_name}-{pool_name}{suffix}-"


def node_group_name_fits(cluster_name: str, pool_name: str, suffix: str = "") -> bool:
    return len(node_group_name_prefix(cluster_name, pool_name, suffix)) + UNIQUE_SUFFIX_LENGTH <= NODE_GROUP_NAME_MAX


_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")

# AL2023: 1.34.2-20251120; Bottlerocket: 1.50.0-1a2b3c4d.
_RELEASE_VERSION = re.compile(r"^(1\.\d{2}\.\d+-\d{8}|\d+\.\d+\.\d+-[0-9a-f]{8})$")

_EKS_EFFECT = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


class Taint(Settings):
    key: str = Field(description="Taint key, e.g. nvidia.com/gpu.")
    value: str = Field(default="", description="Taint value; empty matches any value (tolerations use Exists).")
    effect: TaintEffect = Field(default="NoSchedule", description="NoSchedule, PreferNoSchedule or NoExecute.")

    @field_validator("key")
    @classmethod
    def _valid_key(cls, value: str) -> str:
        if not _LABEL_KEY.match(value):
            raise ValueError(f"'{value}' is not a valid taint key. Fix: use a Kubernetes label-style key such as 'example.com/dedicated'.")
        return value

    @field_validator("value")
    @classmethod
    def _valid_value(cls, value: str) -> str:
        if not _LABEL_VALUE.match(value):
            raise ValueError(f"'{value}' is not a valid taint value. Fix: use at most 63 letters, digits, '-', '_' or '.'.")
        return value

    @property
    def eks_effect(self) -> str:
        """The effect as the EKS node group API spells it."""
        return _EKS_EFFECT[self.effect]

    def toleration(self) -> dict[str, str]:
        """The Kubernetes toleration that matches exactly this taint."""
        tol = {"key": self.key, "operator": "Equal", "value": self.value, "effect": self.effect}
        if not self.value:
            tol = {"key": self.key, "operator": "Exists", "effect": self.effect}
        return tol

    def __str__(self) -> str:
        return f"{self.key}={self.value}:{self.effect}"


# Defaults per pool kind. Sizes come from the environment (see environments.py).
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "system": {
        "instanceTypes": ["m6i.large", "m7i.large", "m6a.large"],
        "taints": [{"key": SYSTEM_TAINT_KEY, "value": "true", "effect": "NoSchedule"}],
    },
    "cpu": {"instanceTypes": ["m6i.xlarge", "m7i.xlarge", "m6a.xlarge"], "taints": []},
    "gpu": {
        "instanceTypes": ["g5.xlarge", "g6.xlarge", "g4dn.xlarge"],
        "amiType": "AL2023_x86_64_NVIDIA",
        "diskSizeGib": 200,  # CUDA images are large
        # The accelerator label lets Cluster Autoscaler treat a new GPU node as not-yet-ready until the
        # device plugin advertises its GPUs, instead of adding a second node meanwhile.
        "labels": {GPU_PRESENT_LABEL: "true", "k8s.amazonaws.com/accelerator": "nvidia"},
        "taints": [{"key": GPU_TAINT_KEY, "value": "true", "effect": "NoSchedule"}],
    },
    "spot": {
        "capacityType": "SPOT",
        "instanceTypes": ["m6i.2xlarge", "m6a.2xlarge", "m5.2xlarge", "m7i.2xlarge"],
        "taints": [{"key": SPOT_TAINT_KEY, "value": "true", "effect": "NoSchedule"}],
    },
    "monitoring": {
        "instanceTypes": ["r6i.large", "r7i.large"],
        "diskSizeGib": 50,
        # Prometheus and Alertmanager keep zonal EBS volumes: a node group per AZ, so that a replaced node
        # comes back in the zone of its pod's volume.
        "perAz": True,
        "taints": [{"key": MONITORING_TAINT_KEY, "value": "monitoring", "effect": "NoSchedule"}],
    },
}


class NodePoolSettings(Settings):
    name: str = Field(description="Pool name; nodes get the label node-pool=<name>.")
    kind: PoolKind = Field(description="system, cpu, gpu, spot or monitoring: supplies default instance types, AMI, taints and labels.")
    enabled: bool = Field(default=True, description="false removes a pool the environment defines (e.g. the spot pool).")
    instance_types: list[str] = Field(description="EC2 instance types (domain/catalog.py); the first one sizes the pool for the autoscaler.")
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(default="ON_DEMAND", description="ON_DEMAND or SPOT (SPOT pools need 3 or more types and the spot taint).")
    min_size: int = Field(ge=0, description="Fewest nodes; 0 lets the autoscaler scale the pool to zero.")
    desired_size: int | None = Field(default=None, ge=0, description="Initial size only (the autoscaler owns it afterwards); empty: minSize.")
    max_size: int = Field(ge=1, description="Most nodes the autoscaler may run.")
    disk_size_gib: int = Field(default=50, ge=20, le=16384, description="Encrypted gp3 root (Bottlerocket: data) volume per node.")
    ami_type: str = Field(default="AL2023_x86_64_STANDARD", description="EKS AMI type: AL2023_*_STANDARD, AL2023_*_NVIDIA or BOTTLEROCKET_*.")
    labels: dict[str, str] = Field(default_factory=dict, description="Extra node labels (node-pool=<name> is always set).")
    taints: list[Taint] = Field(default_factory=list, description="Node taints; each pool kind brings its own (see the pool defaults).")
    per_az: bool = Field(
        default=False,
        description="One managed node group per AZ (sizes split across them) instead of one spanning every AZ. "
                    "Required for pools whose pods keep zonal volumes (EBS), so that the autoscaler can add a node "
                    "in the zone of a pending pod's volume. Default: true for kind monitoring.")
    release_version: str | None = Field(
        default=None,
        description="EKS-optimized AMI release of the pool's nodes (AL2023: <k8s version>.<patch>-<yyyymmdd>, "
                    "Bottlerocket: <x.y.z>-<commit>), from `aws ssm get-parameter` of the AMI type's "
                    "release_version. Unset: the latest release at creation and at each Kubernetes version bump; "
                    "setting a newer one rolls the pool.")

    @model_validator(mode="before")
    @classmethod
    def _apply_kind_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        defaults = KIND_DEFAULTS.get(data.get("kind", ""), {})
        merged = {**defaults, **data}
        merged["labels"] = {**defaults.get("labels", {}), **(data.get("labels") or {})}
        return merged

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"'{value}' is not a valid pool name. Fix: use 1-32 lowercase letters, digits and '-', starting with a letter.")
        return value

    @field_validator("ami_type")
    @classmethod
    def _valid_ami(cls, value: str) -> str:
        if value not in AMI_TYPES:
            raise ValueError(f"'{value}' is not a supported AMI type. Fix: use one of {list(AMI_TYPES)} (AL2 is retired).")
        return value

    @field_validator("labels")
    @classmethod
    def _valid_labels(cls, value: dict[str, str]) -> dict[str, str]:
        for key, val in value.items():
            if not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(str(val)):
                raise ValueError(f"label '{key}={val}' is not a valid Kubernetes label. Fix: use a DNS-style key and a value of at most 63 characters.")
        return value

    @field_validator("instance_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("no instance types. Fix: list at least one EC2 instance type.")
        unknown = [t for t in value if catalog.lookup(t) is None]
        if unknown:
            raise ValueError(f"unknown instance types {unknown}. Fix: use a type listed in domain/catalog.py, or add it there with its vCPU, memory and GPU count.")
        if len(set(value)) != len(value):
            raise ValueError("an instance type is listed twice. Fix: list each type once.")
        return value

    @field_validator("release_version")
    @classmethod
    def _valid_release(cls, value: str | None) -> str | None:
        if value is not None and not _RELEASE_VERSION.match(value):
            raise ValueError(f"'{value}' is not an EKS AMI release version. Fix: use the release_version of the AMI "
                             "type, such as 1.34.2-20251120 (AL2023) or 1.50.0-1a2b3c4d (Bottlerocket), or unset it.")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> NodePoolSettings:
        problems: list[str] = []
        if self.min_size > self.max_size:
            problems.append(f"minSize ({self.min_size}) > maxSize ({self.max_size}). Fix: raise maxSize or lower minSize.")
        if self.desired_size is not None and not self.min_size <= self.desired_size <= self.max_size:
            problems.append(f"desiredSize ({self.desired_size}) is outside [minSize, maxSize] = [{self.min_size}, {self.max_size}]. Fix: set it in that range, or leave it unset.")
        types = [catalog.INSTANCE_TYPES[t] for t in self.instance_types]
        gpu_types = [t.name for t in types if t.gpus]
        if self.kind == "gpu":
            non_gpu = [t.name for t in types if not t.gpus]
            if non_gpu:
                problems.append(f"GPU pool has non-GPU instance types {non_gpu}. Fix: use GPU types only (g5, g6, g6e, p4d, p5, ...).")
            amd = [t.name for t in types if t.gpus and not t.is_nvidia_gpu]
            if amd:
                problems.append(f"{amd} carry AMD GPUs; the platform's GPU stack is NVIDIA. Fix: use NVIDIA types (g5, g6, p5, ...).")
            if len({t.gpus for t in types}) > 1:
                problems.append("instance types have different GPU counts, so the autoscaler cannot size the pool from zero. Fix: split them into separate pools.")
            if not any(t.key == GPU_TAINT_KEY and t.effect == "NoSchedule" for t in self.taints):
                problems.append(f"a GPU pool must carry the taint {GPU_TAINT_KEY}=true:NoSchedule so that only GPU work lands there. Fix: add it to taints.")
        elif gpu_types:
            problems.append(f"{self.kind} pool has GPU instance types {gpu_types}. Fix: move them to a pool of kind 'gpu', or use CPU types here.")
        if self.kind != "gpu" and self.ami_type in NVIDIA_AMI_TYPES:
            problems.append(f"{self.kind} pool uses the NVIDIA AMI {self.ami_type}. Fix: use a STANDARD AMI type for non-GPU pools.")
        if self.kind == "spot" and self.capacity_type != "SPOT":
            problems.append("a spot pool must have capacityType SPOT. Fix: set capacityType: SPOT or use kind 'cpu'.")
        if self.capacity_type == "SPOT":
            if len(self.instance_types) < 3:
                problems.append(f"SPOT capacity with {len(self.instance_types)} instance type(s) is fragile. Fix: list at least 3 similar types (for example m6i.2xlarge, m6a.2xlarge, m5.2xlarge).")
            if not any(t.key == SPOT_TAINT_KEY for t in self.taints):
                problems.append(f"a SPOT pool must carry the taint {SPOT_TAINT_KEY}=true:NoSchedule so that only interruptible work lands there. Fix: add it to taints.")
        if self.kind == "system":
            if not any(t.key == SYSTEM_TAINT_KEY for t in self.taints):
                problems.append(f"the system pool must carry {SYSTEM_TAINT_KEY}=true:NoSchedule. Fix: add it to taints.")
            if self.min_size < 1:
                problems.append("the system pool runs CoreDNS and the autoscaler, so it cannot scale to zero. Fix: set minSize to at least 1.")
        if self.kind == "monitoring" and not any(t.key == MONITORING_TAINT_KEY for t in self.taints):
            problems.append(f"the monitoring pool must carry {MONITORING_TAINT_KEY}=monitoring:NoSchedule to keep noisy neighbours out. Fix: add it to taints.")
        arches = {t.arch for t in types}
        if len(arches) > 1:
            problems.append(f"instance types mix architectures {sorted(arches)}. Fix: use one architecture per pool.")
        elif ("ARM_64" in self.ami_type) != ("arm64" in arches):
            problems.append(f"AMI type {self.ami_type} does not match the {arches.pop()} instance types. Fix: pick the AMI type of that architecture.")
        keys = [(t.key, t.effect) for t in self.taints]
        if len(set(keys)) != len(keys):
            problems.append("a taint key and effect appear twice. Fix: keep one of them.")
        if problems:
            raise ValueError(" ".join(problems))
        return self

    # Derived facts used by components -------------------------------------------------------------

    @property
    def node_labels(self) -> dict[str, str]:
        """Labels on every node of the pool; `node-pool=<name>` always included."""
        return {**self.labels, POOL_LABEL: self.name}

    @property
    def node_selector(self) -> dict[str, str]:
        return {POOL_LABEL: self.name}

    @property
    def tolerations(self) -> list[dict[str, str]]:
        """Tolerations that let a pod land on this pool."""
        return [t.toleration() for t in self.taints]

    @property
    def placement(self) -> dict[str, Any]:
        """nodeSelector and tolerations that pin a pod to exactly this pool (fresh dicts each call)."""
        return {"nodeSelector": dict(self.node_selector), "tolerations": [dict(t) for t in self.tolerations]}

    @property
    def is_gpu(self) -> bool:
        return self.kind == "gpu"

    @property
    def gpus_per_node(self) -> int:
        return catalog.INSTANCE_TYPES[self.instance_types[0]].gpus

    @property
    def max_gpus(self) -> int:
        return self.gpus_per_node * self.max_size

    @property
    def ami_ships_nvidia_driver(self) -> bool:
        """EKS NVIDIA AMIs (AL2023 and Bottlerocket) ship the driver and container toolkit."""
        return self.ami_type in NVIDIA_AMI_TYPES

    @property
    def is_bottlerocket(self) -> bool:
        return self.ami_type.startswith("BOTTLEROCKET")

    @property
    def initial_size(self) -> int:
        return self.desired_size if self.desired_size is not None else self.min_size

    @property
    def release_minor(self) -> str | None:
        """The Kubernetes minor of an AL2023 AMI release ('1.34.2-20251120' -> '1.34'); None for Bottlerocket."""
        if self.release_version is None or self.is_bottlerocket:
            return None
        return ".".join(self.release_version.split(".")[:2])

    @property
    def arch(self) -> str:
        return catalog.INSTANCE_TYPES[self.instance_types[0]].arch
