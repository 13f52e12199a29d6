"""Per-environment defaults, written as config would be (camelCase).

Stack config (Pulumi.<stack>.yaml) is deep-merged over these; node pools merge by name.
dev is cheap, staging mirrors prod's shape at a smaller size, prod is safe.
"""

from __future__ import annotations

from typing import Any

ENVIRONMENTS = ("dev", "staging", "prod")


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
    },
    "staging": {
        "protectStatefulResources": True,
        "network": {"azCount": 3, "natGateways": "single", "flowLogsRetentionDays": 90},
        "cluster": {"deletionProtection": True, "volumeReclaimPolicy": "Retain"},
        "nodePools": _pools(system=(2, 2, 4), cpu=(1, 6), gpu=(0, 4), spot=(0, 10), monitoring=(1, 2)),
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
        # Compliance mode: after a week's grace, nobody can delete a recovery point before its retention ends.
        "backup": {"vaultLock": {"mode": "compliance", "changeableForDays": 7}},
    },
}
