"""What the GPU layer's components (components/gpu) read of a stack's settings, and nothing more."""

from __future__ import annotations

from dataclasses import dataclass

from .gpu import GpuSettings
from .node_pools import NodePoolSettings
from .platform import PlatformSettings
from .teams import TeamSettings


@dataclass(frozen=True)
class GpuLayerSettings:
    """The narrow view of PlatformSettings the GPU layer takes (a GpuFleet for the quota arithmetic)."""

    project: str
    environment: str
    region: str
    cluster_name: str
    kubernetes_version: str
    gpu: GpuSettings
    pools: list[NodePoolSettings]  # the enabled pools
    teams: list[TeamSettings]

    @property
    def gpu_pools(self) -> list[NodePoolSettings]:
        return [p for p in self.pools if p.is_gpu]

    @property
    def system_pool(self) -> NodePoolSettings:
        return next(p for p in self.pools if p.kind == "system")

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"


def gpu_layer(settings: PlatformSettings) -> GpuLayerSettings:
    return GpuLayerSettings(project=settings.project, environment=settings.environment, region=settings.region,
                            cluster_name=settings.cluster_name, kubernetes_version=settings.cluster.version,
                            gpu=settings.gpu, pools=settings.pools, teams=list(settings.teams))
