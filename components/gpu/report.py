"""GPU capacity and team quotas as text, for the offline plan (a section of stacks/plan.py)."""

from __future__ import annotations

from typing import Any

from domain.settings.gpu import gpu_quota_report, quota_warning

TITLE = "GPU capacity and team quotas"


def gpu_plan_section(ev: Any) -> str:
    """Pools' GPU capacity, each team's quota and the oversubscription warning. `ev` is an Evaluation."""
    s = ev.settings
    report = gpu_quota_report(s)
    lines = []
    for pool in s.gpu_pools:
        lines.append(f"pool {pool.name}: {pool.max_size} x {pool.instance_types[0]} ({pool.gpus_per_node} GPU each, "
                     f"{pool.capacity_type}) = {pool.max_gpus} GPUs at maxSize")
    if s.gpu.time_slicing:
        lines.append(f"time-slicing: each GPU is advertised {s.gpu.time_slicing_replicas} times")
    lines.append(f"capacity: {report.capacity} nvidia.com/gpu; team quotas: {report.total_quota}")
    for team in s.teams:
        lines.append(f"team {team.name}: gpuQuota {team.gpu_quota}, cpuQuota {team.cpu_quota}, "
                     f"memoryQuota {team.memory_quota}, owners group {team.owners_group}")
    warning = quota_warning(s)
    if warning:
        lines.append(f"WARNING: {warning}")
    return "\n".join(lines)
