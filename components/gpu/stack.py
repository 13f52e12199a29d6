"""The GPU layer as one component: scheduling policy, autoscaler, gpu-operator, team namespaces, smoke test."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.gpu.autoscaler import ClusterAutoscaler
from components.gpu.operator import GpuOperator
from components.gpu.scheduling import SchedulingPolicy
from components.gpu.smoke_test import GpuSmokeTest
from components.gpu.teams import TeamNamespace
from components.iam import OidcIdentity
from domain.settings.gpu import GpuQuotaReport, gpu_quota_report, quota_warning
from domain.settings.gpu_layer import GpuLayerSettings


class GpuStack(pulumi.ComponentResource):
    """Everything GPU scheduling needs on top of the node pools.

    `monitoring_depends_on`: the kube-prometheus-stack release (it installs the ServiceMonitor CRD).
    When given, the gpu-operator and the autoscaler wait for it and create their ServiceMonitors
    (DCGM exporter, autoscaler metrics); when empty, both ServiceMonitors stay off.

    Exposes `scheduling` (SchedulingPolicy: `classes`), `autoscaler` (ClusterAutoscaler or None),
    `operator` (GpuOperator, None without GPU pools), `teams` (name -> TeamNamespace), `smoke_test`
    (GpuSmokeTest or None) and `quota` (GpuQuotaReport: total_quota, capacity, oversubscribed).
    """

    def __init__(self, name: str, settings: GpuLayerSettings, oidc: OidcIdentity, *,
                 monitoring_depends_on: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:gpu:GpuStack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        gpu = settings.gpu
        monitoring = list(monitoring_depends_on)

        self.quota: GpuQuotaReport = gpu_quota_report(settings)
        warning = quota_warning(settings)
        if warning:
            pulumi.log.warn(warning, resource=self)

        self.scheduling = SchedulingPolicy(f"{name}-scheduling", opts=child)
        self.autoscaler: ClusterAutoscaler | None = None
        if gpu.autoscaler.enabled:
            self.autoscaler = ClusterAutoscaler(f"{name}-autoscaler", settings, oidc, monitoring=monitoring, opts=child)
        self.operator: GpuOperator | None = None
        if gpu.operator_enabled and settings.gpu_pools:
            self.operator = GpuOperator(f"{name}-operator", settings, depends_on=monitoring, opts=child)
        self.teams: dict[str, TeamNamespace] = {
            team.name: TeamNamespace(f"{name}-team-{team.name}", team, settings, opts=child) for team in settings.teams
        }
        self.smoke_test: GpuSmokeTest | None = None
        if gpu.smoke_test and self.operator is not None:
            self.smoke_test = GpuSmokeTest(
                f"{name}-smoke-test", settings,
                depends_on=[self.operator.release, *self.scheduling.classes.values()], opts=child)
        self.register_outputs({
            "priority_classes": list(self.scheduling.classes),
            "teams": list(self.teams),
            "gpu_quota": {"total": self.quota.total_quota, "capacity": self.quota.capacity,
                          "oversubscribed": self.quota.oversubscribed},
        })
