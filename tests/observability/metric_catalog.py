"""Metric names the dashboards and rules may read, by the exporter that produces them, with the source.

A name outside this catalogue (and not recorded by our own rules, nor the configured SLO histogram) is a
typo or a metric nobody exports: the panel would stay empty and the alert would never fire. Extend the
catalogue only from the exporter's own documentation or code, and cite it.
"""

from __future__ import annotations

from typing import TypedDict


class Exporter(TypedDict):
    source: str  # where the names are documented
    metrics: set[str]


CATALOG: dict[str, Exporter] = {
    "dcgm-exporter": {
        # gpu-operator v26.7.0 runs dcgm-exporter 4.6.0-4.8.3 with its default counters; the file is
        # unchanged from tag 4.5.3-4.8.2 to main@d5e5f510a1b6b393f39a43293ccd9dc985defc79.
        "source": "github.com/NVIDIA/dcgm-exporter@691c92762eb551313c825f6efe4ceeee20982801 (tag 4.5.3-4.8.2): "
                  "etc/default-counters.csv",
        "metrics": {
            "DCGM_FI_DEV_SM_CLOCK", "DCGM_FI_DEV_MEM_CLOCK", "DCGM_FI_DEV_MEMORY_TEMP", "DCGM_FI_DEV_GPU_TEMP",
            "DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "DCGM_FI_DEV_PCIE_REPLAY_COUNTER",
            "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_MEM_COPY_UTIL", "DCGM_FI_DEV_ENC_UTIL", "DCGM_FI_DEV_DEC_UTIL",
            "DCGM_FI_DEV_XID_ERRORS", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_RESERVED",
            "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", "DCGM_FI_DEV_VGPU_LICENSE_STATUS",
            "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS",
            "DCGM_FI_DEV_ROW_REMAP_FAILURE", "DCGM_FI_PROF_GR_ENGINE_ACTIVE", "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
            "DCGM_FI_PROF_DRAM_ACTIVE", "DCGM_FI_PROF_PCIE_TX_BYTES", "DCGM_FI_PROF_PCIE_RX_BYTES",
        },
    },
    "kube-state-metrics": {
        # kube-prometheus-stack 88.5.3 -> kube-state-metrics chart 8.4.0 -> appVersion 2.20.0.
        "source": "github.com/kubernetes/kube-state-metrics@4ffeda2ef866b0fef372849825a803296483b336 (v2.20.0): "
                  "docs/metrics/cluster/node-metrics.md, docs/metrics/workload/pod-metrics.md, "
                  "docs/metrics/workload/deployment-metrics.md, docs/metrics/workload/statefulset-metrics.md",
        "metrics": {
            # node-metrics.md
            "kube_node_info", "kube_node_labels", "kube_node_spec_unschedulable", "kube_node_spec_taint",
            "kube_node_status_capacity", "kube_node_status_allocatable", "kube_node_status_condition",
            # pod-metrics.md
            "kube_pod_info", "kube_pod_labels", "kube_pod_owner", "kube_pod_status_phase", "kube_pod_status_ready",
            "kube_pod_status_scheduled", "kube_pod_status_unschedulable", "kube_pod_container_status_waiting",
            "kube_pod_container_status_waiting_reason", "kube_pod_container_status_restarts_total",
            "kube_pod_container_resource_requests", "kube_pod_container_resource_limits",
            # deployment-metrics.md
            "kube_deployment_spec_replicas", "kube_deployment_status_replicas",
            "kube_deployment_status_replicas_available", "kube_deployment_status_replicas_unavailable",
            # statefulset-metrics.md
            "kube_statefulset_replicas", "kube_statefulset_status_replicas",
            "kube_statefulset_status_replicas_ready", "kube_statefulset_status_replicas_available",
        },
    },
    "node-exporter": {
        # kube-prometheus-stack 88.5.3 -> prometheus-node-exporter chart 4.56.1 -> appVersion 1.12.1.
        "source": "github.com/prometheus/node_exporter@6044da783597cc3b57aef7580ddcdcff58a4ee99 (v1.12.1): "
                  "collector/fixtures/e2e-output.txt",
        "metrics": {"node_cpu_seconds_total", "node_load1", "node_memory_MemTotal_bytes", "node_memory_MemFree_bytes"},
    },
    "kubelet": {
        "source": "github.com/kubernetes/kubernetes: pkg/kubelet/metrics/collectors/volume_stats.go "
                  "(kubelet_ subsystem + VolumeStats*Key of pkg/kubelet/metrics/metrics.go), in the kubelet since 1.8",
        "metrics": {"kubelet_volume_stats_capacity_bytes", "kubelet_volume_stats_available_bytes",
                    "kubelet_volume_stats_used_bytes", "kubelet_volume_stats_inodes",
                    "kubelet_volume_stats_inodes_free", "kubelet_volume_stats_inodes_used"},
    },
    "cadvisor": {
        # Served by the kubelet's /metrics/cadvisor endpoint (kube-prometheus-stack's kubelet ServiceMonitor);
        # the chart's cAdvisorMetricRelabelings drop container_spec_*, container_memory_swap, ... but not these.
        "source": "github.com/google/cadvisor@0210b111852215963d362f66654e9418abd3025e: docs/storage/prometheus.md",
        "metrics": {"container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                    "container_memory_rss", "container_network_receive_bytes_total",
                    "container_network_transmit_bytes_total"},
    },
    "prometheus": {
        "source": "https://prometheus.io/docs/concepts/jobs_instances/ (series generated for every scrape) and "
                  "https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/ (ALERTS)",
        "metrics": {"up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS", "ALERTS_FOR_STATE"},
    },
}


def known_metrics() -> dict[str, str]:
    """metric name -> the exporter that produces it."""
    return {metric: exporter for exporter, entry in CATALOG.items() for metric in entry["metrics"]}
