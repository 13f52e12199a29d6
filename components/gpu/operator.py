"""NVIDIA gpu-operator: driver (when the AMI lacks it), container toolkit, device plugin, GFD, DCGM exporter.

Every value is derived from the pool specs, never hard-coded:

- the operator and the node-feature-discovery master/gc run on the system pool;
- the node agents (`daemonsets.tolerations`) and the NFD worker tolerate the taints of every GPU pool,
  including the spot taint of a SPOT GPU pool; the NFD worker is also confined to GPU pools by affinity
  (it only exists to label GPU nodes for the operator);
- `driver.enabled` / `toolkit.enabled` are false when every GPU pool's AMI ships them (EKS NVIDIA AMIs do);
- MIG strategy and time-slicing come from `mlplatform:gpu`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.helm import chart_release
from components.namespace import PlatformNamespace
from domain.settings.gpu import GpuSettings, operator_installs_driver
from domain.settings.gpu_layer import GpuLayerSettings
from domain.settings.node_pools import POOL_LABEL, NodePoolSettings
from domain.settings.observability import MONITORING_NAMESPACE
from domain.versions import CHARTS

GPU_OPERATOR_NAMESPACE = "gpu-operator"
GPU_RESOURCE = "nvidia.com/gpu"
TIME_SLICING_CONFIG_MAP = "time-slicing-config"
TIME_SLICING_PROFILE = "any"  # the device plugin config every GPU node uses (no per-node label needed)


def merged_tolerations(pools: Sequence[NodePoolSettings]) -> list[dict[str, str]]:
    """Tolerations for every taint of every pool, deduplicated, in pool order."""
    seen: list[dict[str, str]] = []
    for pool in pools:
        for toleration in pool.tolerations:
            if toleration not in seen:
                seen.append(toleration)
    return seen


def pool_affinity(pools: Sequence[NodePoolSettings]) -> dict[str, Any]:
    """Required node affinity to any of `pools` (a nodeSelector can name only one pool)."""
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": [p.name for p in pools]}]},
    ]}}}


def device_plugin_config(gpu: GpuSettings) -> dict[str, Any]:
    """The NVIDIA device plugin config (version v1) that shares each GPU between `timeSlicingReplicas` pods."""
    return {
        "version": "v1",
        "flags": {"migStrategy": gpu.mig_strategy},
        "sharing": {"timeSlicing": {
            "renameByDefault": False,  # keep the resource name nvidia.com/gpu (the product label gets -SHARED)
            "failRequestsGreaterThanOne": True,  # a shared GPU is never handed out as two
            "resources": [{"name": GPU_RESOURCE, "replicas": gpu.time_slicing_replicas}],
        }},
    }


def time_slicing_config_map(gpu: GpuSettings, namespace: str = GPU_OPERATOR_NAMESPACE) -> dict[str, Any] | None:
    """ConfigMap (metadata + data) the device plugin reads via devicePlugin.config; None without time-slicing."""
    if not gpu.time_slicing:
        return None
    return {
        "metadata": {"name": TIME_SLICING_CONFIG_MAP, "namespace": namespace,
                     "labels": {"app.kubernetes.io/part-of": "gpu-operator"}},
        "data": {TIME_SLICING_PROFILE: yaml.safe_dump(device_plugin_config(gpu), sort_keys=False)},
    }


def dcgm_exporter_values(service_monitor: bool) -> dict[str, Any]:
    """DCGM exporter with a ServiceMonitor (kube-prometheus-stack selects every ServiceMonitor, so no label)."""
    monitor: dict[str, Any] = {"enabled": service_monitor}
    if service_monitor:
        monitor.update({
            "interval": "15s",
            "honorLabels": False,
            # `node` on every GPU metric, so dashboards can join with node-pool and instance type.
            "relabelings": [{"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node",
                             "action": "replace"}],
        })
    return {"enabled": True, "serviceMonitor": monitor}


# Where the chart's values put the tolerations of its pods that run on GPU nodes (the policy pack's
# chartTolerationPaths for gpu-operator is generated from this; a test checks the values below use it).
AGENT_TOLERATION_PATHS = ("daemonsets.tolerations", "node-feature-discovery.worker.tolerations")


def gpu_operator_values(settings: GpuLayerSettings, *, service_monitor: bool = True) -> dict[str, Any]:
    """Helm values of the gpu-operator chart (every key exists in the pinned chart's values.yaml)."""
    gpu_pools = settings.gpu_pools
    gpu = settings.gpu
    system = settings.system_pool.placement
    agent_tolerations = merged_tolerations(gpu_pools)
    installs_driver = operator_installs_driver(gpu_pools)
    values: dict[str, Any] = {
        "operator": dict(system),
        "daemonsets": {"tolerations": agent_tolerations},
        "driver": {"enabled": installs_driver},
        "toolkit": {"enabled": installs_driver},
        "mig": {"strategy": gpu.mig_strategy},
        "migManager": {"enabled": gpu.mig_strategy != "none"},
        "dcgmExporter": dcgm_exporter_values(service_monitor),
        "node-feature-discovery": {
            "master": dict(system),
            "gc": dict(system),
            "worker": {"tolerations": agent_tolerations, "affinity": pool_affinity(gpu_pools)},
        },
    }
    if gpu.mig_strategy != "none":
        values["migManager"]["config"] = {"default": gpu.mig_config}
    if gpu.time_slicing:
        values["devicePlugin"] = {"config": {"name": TIME_SLICING_CONFIG_MAP, "default": TIME_SLICING_PROFILE}}
    return values


class GpuOperator(pulumi.ComponentResource):
    """The gpu-operator release in its own privileged namespace.

    `depends_on`: resources the release waits for, typically the kube-prometheus-stack release, which
    installs the ServiceMonitor CRD. The DCGM ServiceMonitor is enabled when `service_monitor` is true;
    by default when `depends_on` is given. (With the ServiceMonitor enabled and no CRD, the operator
    holds back GPU feature discovery, so it must not be enabled before monitoring exists.)

    Exposes `namespace` (PlatformNamespace), `release`, `values`, `time_slicing_config` (ConfigMap or None).
    """

    def __init__(self, name: str, settings: GpuLayerSettings, *, depends_on: Sequence[pulumi.Resource] = (),
                 service_monitor: bool | None = None, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:gpu:GpuOperator", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.namespace = PlatformNamespace(
            f"{name}-ns", GPU_OPERATOR_NAMESPACE, pss_level="privileged",  # driver, toolkit and DCGM need host access
            allow_from_namespaces=[MONITORING_NAMESPACE], opts=child)
        waits_for: list[pulumi.Resource] = [self.namespace.namespace, *depends_on]
        self.time_slicing_config: k8s.core.v1.ConfigMap | None = None
        config_map = time_slicing_config_map(settings.gpu)
        if config_map is not None:
            self.time_slicing_config = k8s.core.v1.ConfigMap(
                f"{name}-time-slicing", **config_map,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace.namespace]))
            waits_for.append(self.time_slicing_config)
        enable_monitor = bool(depends_on) if service_monitor is None else service_monitor
        self.values = gpu_operator_values(settings, service_monitor=enable_monitor)
        self.release = chart_release(name, CHARTS["gpu-operator"], GPU_OPERATOR_NAMESPACE, self.values,
                                     opts=pulumi.ResourceOptions(parent=self, depends_on=waits_for),
                                     release_name="gpu-operator")
        self.register_outputs({"namespace": GPU_OPERATOR_NAMESPACE, "release": self.release.name})
