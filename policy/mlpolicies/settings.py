"""Policy configuration: the options, their JSON schemas and defaults, and the typed `Settings`.

CrossGuard configures each policy separately (`{"<policy-name>": {"enforcementLevel": ..., <options>}}`).
Options with the same meaning have the same name in every policy that reads them (for example
`gpuTaintKey`), and every policy resolves its config into the same `Settings` type, so the helpers
in `scheduling.py` never need to know which policy is calling them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pulumi_policy import PolicyConfigSchema

K8S_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# The EKS node group API spells taint effects differently from Kubernetes.
EKS_EFFECT = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def _string(default: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "default": default, "description": description, **extra}


def _strings(default: list[str], description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "default": default, "description": description}


OPTIONS: dict[str, dict[str, Any]] = {
    "gpuTaintKey": _string("nvidia.com/gpu", "Key of the taint on GPU nodes."),
    "gpuTaintValue": _string("true", "Value of the taint on GPU nodes."),
    "gpuTaintEffect": _string("NoSchedule", "Effect of the taint on GPU nodes.", enum=list(K8S_EFFECTS)),
    "gpuResources": _strings(
        ["nvidia.com/gpu", "nvidia.com/gpu.shared", "nvidia.com/mig-*"],
        "Extended resources that are GPUs; a trailing '*' makes an entry a prefix. NVIDIA's device plugin "
        "advertises nvidia.com/gpu, nvidia.com/gpu.shared when time-slicing or MPS renames shared GPUs, and "
        "nvidia.com/mig-<profile> (e.g. nvidia.com/mig-1g.5gb) for MIG slices with the mixed strategy.",
    ),
    "spotTaintKey": _string("spot", "Key of the taint on spot nodes."),
    "spotTaintValue": _string("true", "Value of the taint on spot nodes."),
    "spotTaintEffect": _string("NoSchedule", "Effect of the taint on spot nodes.", enum=list(K8S_EFFECTS)),
    "systemTaintKey": _string("CriticalAddonsOnly", "Key of the taint on the system pool."),
    "systemTaintValue": _string("true", "Value of the taint on the system pool."),
    "systemTaintEffect": _string("NoSchedule", "Effect of the taint on the system pool.", enum=list(K8S_EFFECTS)),
    "exemptNamespaces": _strings(
        ["gpu-operator", "monitoring", "kube-system"],
        "Namespaces of node agents (device plugin, DCGM, node-exporter) that legitimately tolerate every taint.",
    ),
    "gpuCharts": _strings(
        ["gpu-operator"],
        "Helm charts whose pods must run on GPU nodes (matched on the chart name after the last '/').",
    ),
    "chartTolerationPaths": {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "default": {
            "gpu-operator": ["daemonsets.tolerations", "node-feature-discovery.worker.tolerations"],
            "vllm-stack": ["servingEngineSpec.tolerations", "servingEngineSpec.modelSpec[].tolerations"],
        },
        "description": "Per chart, the dotted paths in `values` that hold pod tolerations ('[]' visits every item "
                       "of a list). Charts in gpuCharts without an entry are checked at `tolerations`.",
    },
    "chartGpuRequestPaths": {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "default": {"vllm-stack": ["servingEngineSpec.modelSpec[].requestGPU"]},
        "description": "Per chart, the dotted paths in `values` that hold GPU counts ('[]' visits every item of a "
                       "list); an item that asks for GPUs must be tolerated by a path of chartTolerationPaths in "
                       "the same item or above it. A chart listed with no paths is known to run no GPU pods.",
    },
    "exemptions": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "description": "Kind, or group/Kind, of the exempted resources."},
                "chart": {"type": "string", "description": "Helm chart name of the exempted releases."},
                "name": {"type": "string", "description": "metadata.name (or release name); all when unset."},
                "namespace": {"type": "string", "description": "Namespace; all when unset."},
                "reason": {"type": "string", "minLength": 1, "description": "Why the gate may skip it."},
            },
            "required": ["reason"],
            "additionalProperties": False,
        },
        "default": [],
        "description": "GPU workloads the pack cannot read that a reviewer accepted, each with a reason.",
    },
    "nodePoolTaints": {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {
            "type": "object", "required": ["key", "effect"],
            "properties": {"key": {"type": "string"}, "value": {"type": "string"},
                           "effect": {"type": "string", "enum": list(K8S_EFFECTS)}}}},
        "default": {
            "gpu": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
            "spot": [{"key": "spot", "value": "true", "effect": "NoSchedule"}],
            "system": [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}],
        },
        "description": "Per node pool (value of nodePoolLabel), the taints its node group must carry.",
    },
    "nodePoolLabel": _string("node-pool", "Node label that names a node's pool."),
    "gpuNodePools": _strings(["gpu"], "Values of nodePoolLabel that are GPU pools."),
    "systemNodePools": _strings(["system"], "Values of nodePoolLabel that are the system pool."),
    "gpuInstanceFamilies": _strings(
        ["g4dn", "g5", "g5g", "g6", "g6e", "gr6", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6"],
        "EC2 instance families with NVIDIA GPUs (g4ad is AMD and deliberately absent).",
    ),
    "externalNeverPreemptClasses": _strings(
        [],
        "PriorityClasses with preemptionPolicy: Never that exist in the cluster but are managed outside this stack.",
    ),
}


def config_schema(*keys: str) -> PolicyConfigSchema:
    """The config schema of a policy that reads the options `keys`."""
    unknown = [k for k in keys if k not in OPTIONS]
    if unknown:
        raise KeyError(f"unknown policy options {unknown}")
    return PolicyConfigSchema(properties={k: copy.deepcopy(OPTIONS[k]) for k in keys})


def defaults() -> dict[str, Any]:
    return {k: copy.deepcopy(v["default"]) for k, v in OPTIONS.items()}


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str  # Kubernetes spelling: NoSchedule, PreferNoSchedule, NoExecute

    @property
    def eks_effect(self) -> str:
        return EKS_EFFECT.get(self.effect, self.effect)

    def toleration(self) -> dict[str, str]:
        if self.value:
            return {"key": self.key, "operator": "Equal", "value": self.value, "effect": self.effect}
        return {"key": self.key, "operator": "Exists", "effect": self.effect}

    def toleration_yaml(self) -> str:
        """The toleration as a one-line YAML/Python-compatible mapping, for messages."""
        return "{" + ", ".join(f'"{k}": "{v}"' for k, v in self.toleration().items()) + "}"

    def eks_taint(self) -> str:
        return f'{{"key": "{self.key}", "value": "{self.value}", "effect": "{self.eks_effect}"}}'

    def __str__(self) -> str:
        return f"{self.key}={self.value}:{self.effect}"


@dataclass(frozen=True)
class Settings:
    gpu_taint: Taint
    spot_taint: Taint
    system_taint: Taint
    gpu_resources: tuple[str, ...]
    exempt_namespaces: frozenset[str]
    gpu_charts: frozenset[str]
    chart_toleration_paths: Mapping[str, tuple[str, ...]]
    node_pool_label: str
    gpu_node_pools: tuple[str, ...]
    system_node_pools: frozenset[str]
    gpu_instance_families: frozenset[str]
    external_never_preempt_classes: frozenset[str]
    chart_gpu_request_paths: Mapping[str, tuple[str, ...]]
    exemptions: tuple[Mapping[str, str], ...]
    node_pool_taints: Mapping[str, tuple[Taint, ...]]

    @cached_property
    def known_charts(self) -> frozenset[str]:
        """Charts whose GPU pods the pack can read from their values (or knows to have none)."""
        return self.gpu_charts | frozenset(self.chart_toleration_paths) | frozenset(self.chart_gpu_request_paths)

    @cached_property
    def _gpu_exact(self) -> frozenset[str]:
        return frozenset(r for r in self.gpu_resources if not r.endswith("*"))

    @cached_property
    def _gpu_prefixes(self) -> tuple[str, ...]:
        return tuple(r[:-1] for r in self.gpu_resources if r.endswith("*"))

    @cached_property
    def _gpu_memo(self) -> dict[str, bool]:
        return {}  # resource names are few (cpu, memory, nvidia.com/gpu, ...): remember each answer

    def is_gpu_resource(self, name: Any) -> bool:
        if not isinstance(name, str):
            return False
        known = self._gpu_memo.get(name)
        if known is None:
            known = name in self._gpu_exact or (bool(self._gpu_prefixes) and name.startswith(self._gpu_prefixes))
            self._gpu_memo[name] = known
        return known

    @property
    def primary_gpu_resource(self) -> str:
        """The resource to name in remediation text (the first exact GPU resource configured)."""
        return next((r for r in self.gpu_resources if not r.endswith("*")), "nvidia.com/gpu")


_JSON_TYPES: dict[str, type | tuple[type, ...]] = {"string": str, "array": list, "object": dict}


def _well_typed(key: str, value: Any) -> bool:
    """Whether a configured option has its schema's top-level type (the CLI validates configs; this
    keeps a hand-fed runner config from crashing a policy)."""
    return isinstance(value, _JSON_TYPES[OPTIONS[key]["type"]])


def _strs(values: Any) -> tuple[str, ...]:
    return tuple(v for v in values if isinstance(v, str)) if isinstance(values, list) else ()


def _paths(value: Any) -> dict[str, tuple[str, ...]]:
    return {chart: _strs(paths) for chart, paths in value.items() if isinstance(chart, str)}


def _taints(value: Any) -> dict[str, tuple[Taint, ...]]:
    return {pool: tuple(Taint(str(t.get("key", "")), str(t.get("value") or ""), str(t.get("effect", "NoSchedule")))
                        for t in taints if isinstance(t, dict))
            for pool, taints in value.items() if isinstance(taints, list)}


def _build(config: Mapping[str, Any]) -> Settings:
    merged = defaults()
    merged.update({k: v for k, v in config.items() if k in OPTIONS and v is not None and _well_typed(k, v)})
    return Settings(
        gpu_taint=Taint(merged["gpuTaintKey"], merged["gpuTaintValue"], merged["gpuTaintEffect"]),
        spot_taint=Taint(merged["spotTaintKey"], merged["spotTaintValue"], merged["spotTaintEffect"]),
        system_taint=Taint(merged["systemTaintKey"], merged["systemTaintValue"], merged["systemTaintEffect"]),
        gpu_resources=_strs(merged["gpuResources"]),
        exempt_namespaces=frozenset(_strs(merged["exemptNamespaces"])),
        gpu_charts=frozenset(_strs(merged["gpuCharts"])),
        chart_toleration_paths=_paths(merged["chartTolerationPaths"]),
        node_pool_label=merged["nodePoolLabel"],
        gpu_node_pools=_strs(merged["gpuNodePools"]),
        system_node_pools=frozenset(_strs(merged["systemNodePools"])),
        gpu_instance_families=frozenset(_strs(merged["gpuInstanceFamilies"])),
        external_never_preempt_classes=frozenset(_strs(merged["externalNeverPreemptClasses"])),
        chart_gpu_request_paths=_paths(merged["chartGpuRequestPaths"]),
        exemptions=tuple(e for e in merged["exemptions"] if isinstance(e, dict)),
        node_pool_taints=_taints(merged["nodePoolTaints"]),
    )


DEFAULT_SETTINGS = _build({})
# Keyed by the config object's id; the object itself is kept so that its id cannot be reused.
_cache: dict[int, tuple[Mapping[str, Any], Settings]] = {}


def resolve(config: Mapping[str, Any] | None) -> Settings:
    """Settings for a policy's config (as `args.get_config()` returns it); unset options take defaults."""
    if not config:
        return DEFAULT_SETTINGS
    hit = _cache.get(id(config))
    if hit is not None and hit[0] is config:
        return hit[1]
    settings = _build(config)
    if len(_cache) > 256:  # the engine passes a fresh copy per call; keep the cache bounded
        _cache.clear()
    _cache[id(config)] = (config, settings)
    return settings
