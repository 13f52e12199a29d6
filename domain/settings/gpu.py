"""GPU stack (gpu-operator, Cluster Autoscaler, scheduling) settings, and the GPU quota arithmetic.

Config lives under `mlplatform:gpu`; every key is optional:

    mlplatform:gpu:
      operatorEnabled: true        # install the NVIDIA gpu-operator (only when a GPU pool is enabled)
      migStrategy: none            # none | single | mixed (MIG-capable pools only: p4d, p4de, p5, ...)
      migConfig: all-disabled      # mig-manager default layout, e.g. all-1g.10gb (with migStrategy != none)
      timeSlicingReplicas: 1       # >1 shares each physical GPU between that many pods
      smokeTest: false             # run nvidia-smi on a GPU node after every operator install/upgrade
      autoscaler:
        enabled: true
        expander: priority         # priority (cheap pools first, then least-waste) | least-waste
        replicas: 2                # default: 1 in dev, 2 in staging and prod (prod requires >= 2)
        scaleDownUnneededTime: 10m
        scaleDownDelayAfterAdd: 10m
        scaleDownUtilizationThreshold: 0.5
        scaleDownGpuUtilizationThreshold: 0.5
        maxGracefulTerminationSec: 600
        maxNodeProvisionTime: 20m

Everything else (tolerations, driver installation, placement, expander priorities) is derived from
`nodePools`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, NamedTuple, Protocol

from pydantic import Field, field_validator

from .. import catalog
from ..versions import IMAGES, kubernetes_release, split_image
from .base import Settings
from .cluster import ClusterSettings
from .node_pools import NodePoolSettings

MigStrategy = Literal["none", "single", "mixed"]

# GPU models (domain/catalog.py `gpu_model`) that support Multi-Instance GPU.
MIG_CAPABLE_MODELS = frozenset({"A100", "A100-80GB", "A30", "H100", "H200"})
# Node labels that tell the gpu-operator not to install the driver / toolkit on a node.
DEPLOY_DRIVER_LABEL = "nvidia.com/gpu.deploy.driver"
DEPLOY_TOOLKIT_LABEL = "nvidia.com/gpu.deploy.container-toolkit"

_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$")
# mig-parted configs shipped with the operator's default config: all-disabled, all-enabled, all-balanced,
# and one uniform profile on every GPU (all-1g.10gb, all-3g.40gb, all-1g.10gb.me ...).
_MIG_CONFIG = re.compile(r"^all-(disabled|enabled|balanced|[1-7]g\.[0-9]+gb(\.me)?)$")


class AutoscalerSettings(Settings):
    """Cluster Autoscaler: one instance scales every pool (they are all EKS managed node groups)."""

    enabled: bool = Field(default=True, description="Install Cluster Autoscaler, which scales every pool (GPU pools to and from zero).")
    expander: Literal["priority", "least-waste"] = Field(default="priority", description="priority: spot CPU, on-demand CPU, spot GPU, then on-demand GPU pools (least-waste breaks ties); or least-waste.")
    replicas: int = Field(default=2, ge=1, le=3, description="Cluster Autoscaler replicas (leader election); prod needs 2.")
    scale_down_unneeded_time: str = Field(default="10m", description="How long a node must be unneeded before removal (Go duration).")
    scale_down_delay_after_add: str = Field(default="10m", description="No scale-down for this long after a scale-up (Go duration).")
    scale_down_utilization_threshold: float = Field(default=0.5, gt=0, le=1, description="CPU/memory requests below this share of a node make it a scale-down candidate.")
    scale_down_gpu_utilization_threshold: float = Field(default=0.5, gt=0, le=1, description="GPU requests below this share of a GPU node make it a scale-down candidate.")
    max_graceful_termination_sec: int = Field(default=600, ge=30, le=3600, description="How long evicted pods get to stop on scale-down.")
    max_node_provision_time: str = Field(default="20m", description="How long a new node may take to become Ready (GPU nodes are slow) before the autoscaler gives up on it.")

    @field_validator("scale_down_unneeded_time", "scale_down_delay_after_add", "max_node_provision_time")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not _DURATION.match(value):
            raise ValueError(f"'{value}' is not a duration. Fix: use a Go duration such as 10m, 90s or 1h.")
        return value


class TeamQuota(Protocol):
    @property
    def gpu_quota(self) -> int: ...


class GpuFleet(Protocol):
    """What the GPU quota arithmetic reads of the platform (PlatformSettings is one)."""

    @property
    def project(self) -> str: ...
    @property
    def gpu_pools(self) -> list[NodePoolSettings]: ...
    @property
    def gpu(self) -> GpuSettings: ...
    @property
    def teams(self) -> Sequence[TeamQuota]: ...


class GpuPlatform(GpuFleet, Protocol):
    """What the GPU checks read of the platform besides the fleet."""

    @property
    def is_production(self) -> bool: ...
    @property
    def cluster(self) -> ClusterSettings: ...


class GpuSettings(Settings):
    operator_enabled: bool = Field(default=True, description="Install the NVIDIA gpu-operator (only with an enabled GPU pool); it installs the driver only where the AMI lacks it.")
    mig_strategy: MigStrategy = Field(default="none", description="Multi-Instance GPU strategy: none, single or mixed (MIG-capable pools only: p4d, p4de, p5).")
    mig_config: str = Field(default="all-disabled", description="Default MIG layout of MIG-capable nodes, e.g. all-1g.10gb (with a migStrategy other than none).")
    time_slicing_replicas: int = Field(default=1, ge=1, le=64, description="Above 1, each physical GPU is advertised this many times (time-slicing); quotas count the slices.")
    smoke_test: bool = Field(default=False, description="A Job that runs nvidia-smi on a GPU node after every operator install or upgrade; never awaited, so GPU capacity never gates a deploy.")
    autoscaler: AutoscalerSettings = Field(default_factory=AutoscalerSettings, description="Cluster Autoscaler settings.")

    @field_validator("mig_config")
    @classmethod
    def _valid_mig_config(cls, value: str) -> str:
        if not _MIG_CONFIG.match(value):
            raise ValueError(f"'{value}' is not a MIG configuration of the operator's default config. Fix: use "
                             "all-disabled, all-enabled, all-balanced or a uniform profile such as all-1g.10gb.")
        return value

    @property
    def time_slicing(self) -> bool:
        return self.time_slicing_replicas > 1

    def problems(self, platform: GpuPlatform) -> list[str]:
        """Checks that need the rest of the platform's settings; each names its config key."""
        ns = platform.project
        problems: list[str] = []
        gpu_pools = platform.gpu_pools
        if self.mig_strategy != "none" and not any(pool_is_mig_capable(p) for p in gpu_pools):
            problems.append(
                f"{ns}:gpu.migStrategy: '{self.mig_strategy}' needs a MIG-capable GPU (A100, H100, H200) but no "
                f"enabled GPU pool has one. Fix: set migStrategy to none, or add a pool of p4d/p4de/p5 instances.")
        if self.mig_strategy == "single" and self.mig_config == "all-balanced":
            problems.append(
                f"{ns}:gpu.migConfig: all-balanced mixes MIG profiles, which the 'single' strategy cannot expose. "
                "Fix: use a uniform profile such as all-1g.10gb, or set migStrategy to mixed.")
        if self.mig_strategy == "none" and self.mig_config != "all-disabled":
            problems.append(
                f"{ns}:gpu.migConfig: '{self.mig_config}' has no effect while migStrategy is none. "
                "Fix: set migStrategy to single or mixed, or remove migConfig.")
        if self.time_slicing and self.mig_strategy == "mixed":
            problems.append(
                f"{ns}:gpu.timeSlicingReplicas: time-slicing is configured for nvidia.com/gpu, which the 'mixed' MIG "
                "strategy does not advertise. Fix: set timeSlicingReplicas to 1, or use migStrategy single.")
        if self.smoke_test and not (gpu_pools and self.operator_enabled):
            problems.append(
                f"{ns}:gpu.smokeTest: the smoke test needs an enabled GPU pool and the gpu-operator. "
                "Fix: set smokeTest to false, or add a GPU pool (and keep operatorEnabled true).")
        if platform.is_production and self.autoscaler.enabled and self.autoscaler.replicas < 2:
            problems.append(
                f"{ns}:gpu.autoscaler.replicas: prod runs 2 Cluster Autoscaler replicas (leader election) so that "
                "scaling survives a node loss. Fix: set replicas to 2 or remove the override.")
        if self.autoscaler.enabled:
            problems += autoscaler_pin_problems(platform)
        problems += driver_label_problems(platform)
        return problems


def pool_is_mig_capable(pool: NodePoolSettings) -> bool:
    return any(catalog.INSTANCE_TYPES[t].gpu_model in MIG_CAPABLE_MODELS for t in pool.instance_types)


def autoscaler_image(kubernetes_version: str) -> str | None:
    """The Cluster Autoscaler image pinned for a Kubernetes minor version (its minor must be the same)."""
    release = kubernetes_release(kubernetes_version)
    return release.autoscaler_image if release is not None else None


def autoscaler_pin_problems(platform: GpuPlatform) -> list[str]:
    version = platform.cluster.version
    image = autoscaler_image(version)
    if image is None:
        return [f"{platform.project}:cluster.version: Kubernetes {version} has no Cluster Autoscaler pin, and its minor "
                f"version must match the cluster's. Fix: add a '{version}' entry to KUBERNETES_RELEASES in "
                f"domain/versions.py with a cluster-autoscaler v{version}.x image (and the add-ons of {version})."]
    if autoscaler_image_minor(image) != version:
        return [f"{platform.project}:cluster.version: Cluster Autoscaler {split_image(image)[1]} is built for "
                f"Kubernetes {autoscaler_image_minor(image)}, and its minor version must match the cluster's "
                f"({version}). Fix: pin KUBERNETES_RELEASES['{version}'].autoscaler_image in domain/versions.py to a "
                f"v{version}.x release."]
    return []


def autoscaler_image_minor(image: str | None = None) -> str:
    """'registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.2' -> '1.34'."""
    tag = split_image(image or IMAGES["cluster-autoscaler"])[1].lstrip("v")
    return ".".join(tag.split(".")[:2])


def operator_installs_driver(pools: list[NodePoolSettings]) -> bool:
    """The operator installs the driver and container toolkit unless every GPU pool's AMI ships them."""
    return not all(p.ami_ships_nvidia_driver for p in pools)


def driver_label_problems(platform: GpuFleet) -> list[str]:
    """With a mix of AMIs, the operator installs the driver; pools whose AMI ships one must opt out."""
    pools = platform.gpu_pools
    if not (platform.gpu.operator_enabled and operator_installs_driver(pools)):
        return []
    problems = []
    for pool in pools:
        if pool.ami_ships_nvidia_driver and (pool.labels.get(DEPLOY_DRIVER_LABEL) != "false"
                                             or pool.labels.get(DEPLOY_TOOLKIT_LABEL) != "false"):
            others = [p.name for p in pools if not p.ami_ships_nvidia_driver]
            problems.append(
                f"{platform.project}:nodePools[{pool.name}].labels: GPU pools {others} need the operator to install "
                f"the NVIDIA driver, but {pool.ami_type} already ships it, and a second driver fails to load. "
                f"Fix: add the labels {DEPLOY_DRIVER_LABEL}: \"false\" and {DEPLOY_TOOLKIT_LABEL}: \"false\" to this "
                "pool, or use an NVIDIA AMI type for every GPU pool.")
    return problems


# Quota arithmetic ----------------------------------------------------------------------------------


class GpuQuotaReport(NamedTuple):
    total_quota: int  # sum of the teams' gpuQuota
    capacity: int  # GPUs the enabled GPU pools advertise at maxSize (times time-slicing replicas)
    oversubscribed: bool  # total_quota > capacity: quotas are not all satisfiable at once


def gpu_capacity(settings: GpuFleet) -> int:
    """nvidia.com/gpu the GPU pools can advertise at their maximum size.

    With time-slicing every physical GPU is advertised `timeSlicingReplicas` times, and quotas count
    the advertised (shared) GPUs.
    """
    return sum(p.max_gpus for p in settings.gpu_pools) * settings.gpu.time_slicing_replicas


def gpu_quota_report(settings: GpuFleet) -> GpuQuotaReport:
    total = sum(t.gpu_quota for t in settings.teams)
    capacity = gpu_capacity(settings)
    return GpuQuotaReport(total, capacity, total > capacity)


def capacity_breakdown(settings: GpuFleet) -> str:
    """'gpu: 8 nodes x 1 GPU' per GPU pool, for messages."""
    parts = [f"{p.name}: {p.max_size} nodes x {p.gpus_per_node} GPU" for p in settings.gpu_pools]
    text = ", ".join(parts) or "no GPU pool"
    if settings.gpu.time_slicing:
        text += f", time-sliced x{settings.gpu.time_slicing_replicas}"
    return text


def quota_warning(settings: GpuFleet) -> str | None:
    """The oversubscription warning (None when the quotas fit): logged at build time and shown in the plan."""
    report = gpu_quota_report(settings)
    if not report.oversubscribed:
        return None
    return (f"{settings.project}:teams: team GPU quotas add up to {report.total_quota} GPUs but the GPU pools provide at "
            f"most {report.capacity} ({capacity_breakdown(settings)}). Every quota is a ceiling, not a reservation, so "
            "teams can be left Pending when others use theirs. Fix: lower gpuQuota values, or raise the GPU pools' "
            "maxSize.")
