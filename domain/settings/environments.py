"""Per-environment defaults, written as config would be (camelCase). Every default that depends on the
environment is here, and only here.

Stack config (Pulumi.<stack>.yaml) is deep-merged over these before validation (node pools merge by
name), so the validated settings hold the effective values and components never resolve a default.
dev is cheap, staging mirrors prod's shape at a smaller size, prod is safe.
"""

from __future__ import annotations

from typing import Any

from .services import SERVICE_NAMES

ENVIRONMENTS = ("dev", "staging", "prod")


def _services(replicas: int, instance_class: str, backup_retention_days: int, multi_az: bool,
              performance_insights: bool) -> dict[str, Any]:
    return {
        **{name: {"replicas": replicas} for name in SERVICE_NAMES},
        "database": {"instanceClass": instance_class, "backupRetentionDays": backup_retention_days,
                     "multiAz": multi_az, "performanceInsights": performance_insights},
    }


def _observability(prometheus: tuple[int, int, int, str, int], alertmanager: tuple[int, int],
                   grafana_replicas: int) -> dict[str, Any]:
    retention_days, storage_gib, replicas, cpu, memory_gib = prometheus
    return {
        "prometheus": {"retentionDays": retention_days, "storageGib": storage_gib, "replicas": replicas,
                       "cpu": cpu, "memoryGib": memory_gib},
        "alertmanager": {"replicas": alertmanager[0], "storageGib": alertmanager[1]},
        "grafana": {"replicas": grafana_replicas},
    }


def _pools(system: tuple[int, int, int], cpu: tuple[int, int], gpu: tuple[int, int],
           spot: tuple[int, int], monitoring: tuple[int, int]) -> list[dict[str, Any]]:
    sys_min, sys_desired, sys_max = system
    return [
        {"name": "system", "kind": "system", "minSize": sys_min, "desiredSize": sys_desired, "maxSize": sys_max},
        {"name": "cpu", "kind": "cpu", "minSize": cpu[0], "maxSize": cpu[1]},
        {"name": "gpu", "kind": "gpu", "minSize": gpu[0], "maxSize": gpu[1]},
        {"name": "spot", "kind": "spot", "minSize": spot[0], "maxSize": spot[1]},
        {"name": "monitoring", "kind": "monitoring", "minSize": monitoring[0], "maxSize": monitoring[1]},
    ]


# The API endpoint is private by default everywhere; a stack opts in to public access with an allowlist.
DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "protectStatefulResources": False,
        "network": {"azCount": 2, "natGateways": "single"},
        "cluster": {"logRetentionDays": 30},
        "nodePools": _pools(system=(1, 2, 3), cpu=(0, 4), gpu=(0, 2), spot=(0, 5), monitoring=(1, 2)),
        "gpu": {"autoscaler": {"replicas": 1}},
        "services": _services(replicas=1, instance_class="db.t4g.micro", backup_retention_days=1, multi_az=False,
                              performance_insights=False),
        # (retentionDays, storageGib, replicas, cpu, memoryGib), (replicas, storageGib), Grafana replicas
        "observability": _observability(prometheus=(3, 20, 1, "250m", 2), alertmanager=(1, 2), grafana_replicas=1),
    },
    "staging": {
        "protectStatefulResources": True,
        "network": {"azCount": 3, "natGateways": "single", "flowLogsRetentionDays": 90},
        "cluster": {"deletionProtection": True, "volumeReclaimPolicy": "Retain"},
        "nodePools": _pools(system=(2, 2, 4), cpu=(1, 6), gpu=(0, 4), spot=(0, 10), monitoring=(1, 2)),
        "gpu": {"autoscaler": {"replicas": 2}},
        # Performance Insights is not offered on the smallest burstable classes: on from db.m7g in prod.
        "services": _services(replicas=1, instance_class="db.t4g.small", backup_retention_days=7, multi_az=False,
                              performance_insights=False),
        "observability": _observability(prometheus=(15, 50, 2, "500m", 4), alertmanager=(2, 5), grafana_replicas=1),
        "backup": {"enabled": True, "retentionDays": 14},
    },
    "prod": {
        "protectStatefulResources": True,
        "network": {"azCount": 3, "natGateways": "per_az", "flowLogsRetentionDays": 365},
        "cluster": {
            "endpointPublicAccess": False,
            "deletionProtection": True,
            "volumeReclaimPolicy": "Retain",
            "logRetentionDays": 365,
        },
        "nodePools": _pools(system=(3, 3, 6), cpu=(2, 12), gpu=(0, 8), spot=(0, 20), monitoring=(2, 3)),
        # Two Cluster Autoscalers (leader election) and two replicas of every service survive a node loss.
        "gpu": {"autoscaler": {"replicas": 2}},
        "services": _services(replicas=2, instance_class="db.m7g.large", backup_retention_days=30, multi_az=True,
                              performance_insights=True),
        "observability": _observability(prometheus=(30, 200, 2, "1", 8), alertmanager=(2, 10), grafana_replicas=2),
        # Compliance mode: after a week's grace, nobody can delete a recovery point before its retention ends.
        "backup": {"enabled": True, "retentionDays": 35, "vaultLock": {"mode": "compliance", "changeableForDays": 7}},
    },
}
