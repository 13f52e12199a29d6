"""Prometheus recording and alerting rules, as data. They ship in the chart's `additionalPrometheusRulesMap`.

Label contract with the GPU layer (gpu-operator defaults, nothing to configure there):
- the DCGM exporter's ServiceMonitor keeps `honorLabels: false`, so the pod that uses a GPU arrives as
  `exported_namespace` / `exported_pod` / `exported_container`, while `namespace` / `pod` name the
  exporter pod itself;
- the node of a GPU is found by joining the exporter pod with kube-state-metrics' `kube_pod_info`
  (the exporter's own `Hostname` label is the pod's hostname, not the node, and is being renamed).
The recording rules below normalise this once: every `mlplatform:gpu_*` series carries `node`, `pool`,
`gpu`, `UUID`, `modelName` and, when a pod holds the GPU, `workload_namespace` / `workload_pod`.
Dashboards and alerts read only the normalised series.
"""

from __future__ import annotations

import re
from typing import Any

from domain.settings.node_pools import POOL_LABEL
from domain.settings.observability import AlertSettings, LatencySloSettings, ObservabilitySettings

TEAM = "platform"
RUNBOOK_BASE = "https://runbooks.prometheus-operator.dev/runbooks"

# kube-state-metrics exports node label `node-pool` as `label_node_pool` (allow-listed in the chart values).
KSM_POOL_LABEL = "label_" + re.sub(r"[^a-zA-Z0-9_]", "_", POOL_LABEL)

# XID codes that mean the GPU or its links are failing, not the application (NVIDIA XID catalogue):
# 48 double-bit ECC, 62/63/64 internal/row-remapping errors, 74 NVLink, 79 fallen off the bus,
# 92 high single-bit ECC rate, 94/95 contained/uncontained ECC, 119/120 GSP errors.
HARDWARE_XIDS = (48, 62, 63, 64, 74, 79, 92, 94, 95, 119, 120)

POOL_INFO = "mlplatform:node_pool:info"
GPU_SERIES = {
    "mlplatform:gpu_utilization:percent": ("DCGM_FI_DEV_GPU_UTIL", ""),
    "mlplatform:gpu_memory_used:bytes": ("DCGM_FI_DEV_FB_USED", " * 1048576"),  # MiB -> bytes
    "mlplatform:gpu_memory_free:bytes": ("DCGM_FI_DEV_FB_FREE", " * 1048576"),
    "mlplatform:gpu_temperature:celsius": ("DCGM_FI_DEV_GPU_TEMP", ""),
    "mlplatform:gpu_power_usage:watts": ("DCGM_FI_DEV_POWER_USAGE", ""),
}
GPU_LAST_XID = "mlplatform:gpu_last_xid:info"
_GPU_LABELS = "node, pool, gpu, UUID, modelName, workload_namespace, workload_pod, workload_container"

SLO_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# Multi-window, multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs", table 5-8):
# (severity, burn rate, long window, short window, for).
# The short window already resets the alert quickly; `for` only rides out one noisy evaluation.
SLO_BURN_ALERTS = (
    ("critical", 14.4, "1h", "5m", "2m"),
    ("critical", 6, "6h", "30m", "2m"),
    ("warning", 3, "1d", "2h", "15m"),
    ("warning", 1, "3d", "6h", "15m"),
)
SLO_ERROR_RATIO = "slo:latency_sli_error:ratio_rate{window}"
SLO_OBJECTIVE = "slo:latency_objective:ratio"
SLO_P99 = "slo:latency_p99:seconds_rate5m"


def with_node(expr: str) -> str:
    """Attach the node of the exporter (or workload) pod that reported each series."""
    return f"({expr}) * on (namespace, pod) group_left (node) max by (namespace, pod, node) (kube_pod_info)"


def with_pool(expr: str) -> str:
    return f"({expr}) * on (node) group_left (pool) {POOL_INFO}"


def normalised_gpu(expr: str) -> str:
    """A DCGM series with node, pool and the workload holding the GPU as plain labels."""
    joined = with_pool(with_node(expr))
    renamed = joined
    for source, target in (("exported_namespace", "workload_namespace"), ("exported_pod", "workload_pod"),
                           ("exported_container", "workload_container")):
        renamed = f'label_replace({renamed}, "{target}", "$1", "{source}", "(.+)")'
    return f"max by ({_GPU_LABELS}) ({renamed})"


def _alert(name: str, expr: str, minutes: int | str, severity: str, summary: str, description: str,
           runbook: str, runbook_url: str | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    annotations = {"summary": summary, "description": description, "runbook": runbook.strip()}
    if runbook_url:
        annotations["runbook_url"] = runbook_url
    return {
        "alert": name,
        "expr": expr,
        "for": f"{minutes}m" if isinstance(minutes, int) else minutes,
        "labels": {"severity": severity, "team": TEAM, **(labels or {})},
        "annotations": annotations,
    }


def recording_rules() -> dict[str, Any]:
    rules: list[dict[str, Any]] = [{
        "record": POOL_INFO,
        "expr": f'max by (node, pool) (label_replace(kube_node_labels{{{KSM_POOL_LABEL}!=""}}, '
                f'"pool", "$1", "{KSM_POOL_LABEL}", "(.+)"))',
    }]
    for record, (metric, scale) in GPU_SERIES.items():
        rules.append({"record": record, "expr": normalised_gpu(f"{metric}{scale}")})
    # The last XID each GPU reported, as a label (value 0 means none since the driver loaded).
    rules.append({"record": GPU_LAST_XID,
                  "expr": f'count_values by ({_GPU_LABELS}) ("xid", {normalised_gpu("DCGM_FI_DEV_XID_ERRORS")})'})
    return {"name": "mlplatform.recording", "rules": rules}


def gpu_alerts(alerts: AlertSettings) -> dict[str, Any]:
    hardware = "|".join(str(x) for x in HARDWARE_XIDS)
    util = "mlplatform:gpu_utilization:percent"
    return {"name": "mlplatform.gpu", "rules": [
        _alert(
            "GpuAllocatedButIdle",
            f'{util}{{workload_pod!=""}} < {alerts.gpu_idle_utilization_percent:g}',
            alerts.gpu_idle_minutes, "warning",
            "GPU allocated to {{ $labels.workload_namespace }}/{{ $labels.workload_pod }} is idle",
            f"GPU {{{{ $labels.gpu }}}} ({{{{ $labels.modelName }}}}) on node {{{{ $labels.node }}}} (pool "
            f"{{{{ $labels.pool }}}}) has been below {alerts.gpu_idle_utilization_percent:g}% utilisation for "
            f"{alerts.gpu_idle_minutes} minutes while pod {{{{ $labels.workload_pod }}}} holds it.",
            """
1. Ask the owner of the namespace whether the pod is still working (a notebook left open, a job
   waiting on data, a serving replica without traffic).
2. `kubectl -n <namespace> describe pod <pod>` and its logs: is it stuck on I/O or a dead data loader?
3. Idle serving replicas: lower the minimum replicas or let the autoscaler scale them to zero.
4. Abandoned pods: delete them; the cluster autoscaler then removes the idle GPU node.
""",
        ),
        _alert(
            "GpuXidHardwareError",
            f'{GPU_LAST_XID}{{xid=~"{hardware}"}}',
            0, "critical",
            "GPU {{ $labels.gpu }} on {{ $labels.node }} reported hardware XID {{ $labels.xid }}",
            "XID {{ $labels.xid }} on GPU {{ $labels.gpu }} ({{ $labels.UUID }}) of node {{ $labels.node }} "
            "(pool {{ $labels.pool }}) means failing GPU memory, NVLink or a GPU that fell off the bus.",
            """
1. Cordon the node: `kubectl cordon <node>`, so no new work lands on the failing GPU.
2. Check `dmesg | grep -i xid` on the node (SSM session) for the full error.
3. Drain it (`kubectl drain <node> --ignore-daemonsets --delete-emptydir-data`) once running jobs
   have checkpointed; terminate the instance so the node group replaces it with healthy hardware.
4. Repeated XID 48/63/64/94/95 on one instance type: open an AWS support case with the instance ID.
""",
            labels={"component": "gpu"},
        ),
        _alert(
            "GpuXidError",
            f'{GPU_LAST_XID}{{xid!~"0|{hardware}"}} and on (UUID) (changes(DCGM_FI_DEV_XID_ERRORS[15m]) > 0)',
            0, "warning",
            "GPU {{ $labels.gpu }} on {{ $labels.node }} reported XID {{ $labels.xid }}",
            "GPU {{ $labels.gpu }} on node {{ $labels.node }} reported XID {{ $labels.xid }} in the last 15 minutes "
            "(workload {{ $labels.workload_namespace }}/{{ $labels.workload_pod }}).",
            """
1. Look the code up in NVIDIA's XID catalogue: 13, 31 and 43 are usually application faults
   (illegal memory access, page fault, stopped kernel); tell the workload's owner.
2. If the same node keeps reporting XIDs across different workloads, treat it as hardware:
   cordon, drain and replace the node (see GpuXidHardwareError).
""",
            labels={"component": "gpu"},
        ),
        _alert(
            "GpuTemperatureHigh",
            f"mlplatform:gpu_temperature:celsius > {alerts.gpu_temperature_celsius}",
            5, "warning",
            "GPU {{ $labels.gpu }} on {{ $labels.node }} runs at {{ $value }} C",
            f"GPU {{{{ $labels.gpu }}}} ({{{{ $labels.modelName }}}}) on node {{{{ $labels.node }}}} has been above "
            f"{alerts.gpu_temperature_celsius} C for 5 minutes; it will throttle its clocks and may shut down.",
            """
1. Check DCGM_FI_DEV_POWER_USAGE and clocks on the GPU dashboard: sustained full power is expected
   for training; a temperature climbing at low power points to cooling.
2. One hot GPU on an instance: cordon and drain the node, then terminate it for new hardware.
3. All GPUs of a pool hot: check the instance type's thermal limits with AWS support.
""",
            labels={"component": "gpu"},
        ),
        _alert(
            "GpuPodPendingTooLong",
            '(sum by (namespace, pod) (kube_pod_container_resource_requests{resource="nvidia_com_gpu"}) > 0) '
            'and on (namespace, pod) (kube_pod_status_phase{phase="Pending"} == 1)',
            alerts.gpu_pending_minutes, "warning",
            "Pod {{ $labels.namespace }}/{{ $labels.pod }} waits for a GPU",
            f"Pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} requests GPUs and has been Pending for more "
            f"than {alerts.gpu_pending_minutes} minutes.",
            """
1. `kubectl -n <namespace> describe pod <pod>`: read the scheduler's and the autoscaler's events.
2. "max node group size reached": the GPU pool is at maxSize; raise nodePools[gpu].maxSize or
   wait for capacity. "Insufficient capacity" from EC2: add another GPU instance type or AZ.
3. "didn't tolerate taint nvidia.com/gpu" or a node selector mismatch: fix the pod spec.
4. Namespace quota exceeded (requests.nvidia.com/gpu): the team is at its GPU quota.
""",
            labels={"component": "gpu"},
        ),
    ]}


def cluster_alerts(alerts: AlertSettings) -> dict[str, Any]:
    return {"name": "mlplatform.cluster", "rules": [
        _alert(
            "PlatformNodeNotReady",
            with_pool('kube_node_status_condition{condition="Ready",status="true"} == 0')
            + " unless on (node) (kube_node_spec_unschedulable == 1)",
            alerts.node_not_ready_minutes, "warning",
            "Node {{ $labels.node }} of pool {{ $labels.pool }} is NotReady",
            f"Node {{{{ $labels.node }}}} (pool {{{{ $labels.pool }}}}) has not been Ready for "
            f"{alerts.node_not_ready_minutes} minutes and is not being drained.",
            """
1. `kubectl describe node <node>`: conditions (MemoryPressure, DiskPressure, PIDPressure) and events.
2. In EC2, check the instance's status checks; a spot node may be reclaimed (see its events).
3. kubelet or containerd down: look at the node's logs through SSM; if it does not recover,
   terminate the instance and let the managed node group replace it.
""",
            runbook_url=f"{RUNBOOK_BASE}/kubernetes/kubenodenotready",
        ),
        _alert(
            "PlatformPodCrashLooping",
            'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1',
            alerts.crash_loop_minutes, "warning",
            "Pod {{ $labels.namespace }}/{{ $labels.pod }} is crash-looping",
            f"Container {{{{ $labels.container }}}} of pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} has "
            f"been in CrashLoopBackOff for {alerts.crash_loop_minutes} minutes.",
            """
1. `kubectl -n <namespace> logs <pod> -c <container> --previous`: why did the last run exit?
2. Exit code 137 / OOMKilled: raise the memory limit. Configuration or secret errors: fix and roll out.
3. A dependency is down (database, Keycloak): fix that first; the pod recovers by itself.
""",
            runbook_url=f"{RUNBOOK_BASE}/kubernetes/kubepodcrashlooping",
        ),
        _alert(
            "PersistentVolumeClaimAlmostFull",
            f"kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > "
            f"{alerts.pvc_used_percent / 100:g}",
            10, "warning",
            "PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full",
            f"Volume of PVC {{{{ $labels.namespace }}}}/{{{{ $labels.persistentvolumeclaim }}}} is more than "
            f"{alerts.pvc_used_percent:g}% full.",
            """
1. Find what grows: `kubectl -n <namespace> exec <pod> -- du -sh <mount>/*`.
2. Expand it (the gp3-encrypted class allows expansion): raise the PVC's spec.resources.requests.storage,
   or for Prometheus raise observability.prometheus.storageGib and redeploy.
3. Old data that should not be there (checkpoints, logs): clean it up or move it to S3.
""",
            runbook_url=f"{RUNBOOK_BASE}/kubernetes/kubepersistentvolumefillingup",
        ),
    ]}


def _slo_selector(slo: LatencySloSettings, extra: str = "") -> str:
    matchers = [f'{k}="{_escape(v)}"' for k, v in sorted(slo.selector.items())]
    if extra:
        matchers.append(extra)
    return "{" + ", ".join(matchers) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def le_value(seconds: float) -> str:
    """The bucket label as Prometheus 3 stores it (classic histogram `le` values are normalised floats)."""
    return repr(float(seconds))


def slo_rules(slo: LatencySloSettings) -> dict[str, Any]:
    """Recording rules and multi-window burn-rate alerts of the inference latency SLO."""
    by = ", ".join(slo.group_by)
    labels = {"slo": slo.name}
    bucket, count = f"{slo.metric}_bucket", f"{slo.metric}_count"
    fast = _slo_selector(slo, f'le="{le_value(slo.threshold_seconds)}"')
    rules: list[dict[str, Any]] = []
    for window in SLO_WINDOWS:
        rules.append({
            "record": SLO_ERROR_RATIO.format(window=window),
            "expr": f"1 - (sum by ({by}) (rate({bucket}{fast}[{window}])) / "
                    f"sum by ({by}) (rate({count}{_slo_selector(slo)}[{window}])))",
            "labels": labels,
        })
    rules.append({"record": SLO_OBJECTIVE, "expr": f"vector({slo.objective_percent / 100:g})", "labels": labels})
    rules.append({
        "record": SLO_P99,
        "expr": f"histogram_quantile(0.99, sum by (le, {by}) (rate({bucket}{_slo_selector(slo)}[5m])))",
        "labels": labels,
    })
    budget = slo.error_budget
    who = ", ".join(f"{label}={{{{ $labels.{label} }}}}" for label in slo.group_by) or "all"
    for severity, burn, long_window, short_window, duration in SLO_BURN_ALERTS:
        threshold = f"{burn * budget:.6g}"
        long_ratio = f'{SLO_ERROR_RATIO.format(window=long_window)}{{slo="{slo.name}"}}'
        short_ratio = f'{SLO_ERROR_RATIO.format(window=short_window)}{{slo="{slo.name}"}}'
        rules.append(_alert(
            "InferenceLatencyBudgetBurn",
            f"{long_ratio} > {threshold} and {short_ratio} > {threshold}",
            duration, severity,
            f"Inference latency SLO '{slo.name}' burns its error budget {burn:g}x too fast",
            f"More than {burn * budget * 100:.3g}% of requests ({who}) "
            f"took longer than {slo.threshold_seconds:g}s over the last {long_window} and {short_window} "
            f"(objective: {slo.objective_percent:g}% within {slo.threshold_seconds:g}s).",
            f"""
1. Open the "Inference SLO" dashboard: which service, since when, all replicas or one?
2. Saturation: GPU utilisation near 100% or requests queueing -> scale out the serving deployment.
3. A recent rollout (new model or image): roll back, then compare the versions offline.
4. Downstream slowness (feature store, object storage): check those services' dashboards.
Burn rate {burn:g} over {long_window} exhausts a 30-day error budget in {30 / burn:.3g} days.
""",
            labels={"slo": slo.name, "window": long_window},
        ))
    return {"name": f"mlplatform.slo.{slo.name}", "rules": rules}


def prometheus_rules(obs: ObservabilitySettings) -> dict[str, dict[str, Any]]:
    """The chart's additionalPrometheusRulesMap: one PrometheusRule per entry."""
    rules = {
        "mlplatform-recording": {"groups": [recording_rules()]},
        "mlplatform-gpu": {"groups": [gpu_alerts(obs.alerts)]},
        "mlplatform-cluster": {"groups": [cluster_alerts(obs.alerts)]},
    }
    if obs.inference_slo.enabled:
        rules[f"mlplatform-slo-{obs.inference_slo.name}"] = {"groups": [slo_rules(obs.inference_slo)]}
    return rules


def all_rules(rule_map: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule for entry in rule_map.values() for group in entry["groups"] for rule in group["rules"]]
