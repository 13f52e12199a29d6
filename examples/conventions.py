"""The platform's scheduling conventions, spelled out as a team would copy them into its own code.

They mirror domain/settings/node_pools.py (pool label, taints) and components/gpu/scheduling.py
(PriorityClasses); tests/gpu/test_gpu_examples.py checks that they stay in sync.
"""

from __future__ import annotations

from typing import Any

POOL_LABEL = "node-pool"
GPU_RESOURCE = "nvidia.com/gpu"

# Node pools (nodeSelector {"node-pool": <pool>}).
CPU_POOL = "cpu"
GPU_POOL = "gpu"
SPOT_POOL = "spot"
# A SPOT GPU pool is not a default pool; a stack adds it in config (examples/README.md).
GPU_SPOT_POOL = "gpu-spot"

# Taints of the pools, and the tolerations that match them.
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
SPOT_TOLERATION = {"key": "spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}

# PriorityClasses created by the platform.
INFERENCE_HIGH = "inference-high"  # serving; preempts lower classes (only teams with allowInferenceHigh)
BATCH_DEFAULT = "batch-default"  # global default; never preempts
TRAINING_LOW = "training-low"  # training; never preempts, preempted first

# Cluster Autoscaler never removes a node running a pod with this annotation set to "false".
SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"

# Team namespaces of the example stack config (examples/README.md).
RESEARCH_NAMESPACE = "ml-research"
SERVING_NAMESPACE = "ml-serving"


def on_pool(pool: str) -> dict[str, str]:
    return {POOL_LABEL: pool}


def pod_security_context(uid: int = 1000) -> dict[str, Any]:
    """Pod-level settings that pass the `restricted` Pod Security Standard of team namespaces."""
    return {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid,
            "seccompProfile": {"type": "RuntimeDefault"}}


def container_security_context() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}


def zone_spread(labels: dict[str, str]) -> list[dict[str, Any]]:
    """Spread replicas over AZs (and nodes) when possible, without blocking scheduling."""
    return [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": labels}}
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")]
