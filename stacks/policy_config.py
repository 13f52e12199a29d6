"""The policy pack's view of each platform stack, generated into policy/config/<stack>.json.

The pack is published alone and imports nothing from domain/ or stacks/, so what it knows about the
platform it guards (the pool label, the taints of every pool, which pools are GPU pools, the GPU
instance families, the charts the platform installs and where their values put tolerations) reaches
it as config options. This module derives them from each stack's settings and writes them into the
policies that read them; everything else in the files (`all`, enforcement levels, exemptions and other
hand-set options) is kept as written.

    python -m stacks.policy_config            # rewrite policy/config/<stack>.json for every stack
    python -m stacks.policy_config --check    # exit 1, naming the files, when one is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from components.gpu.operator import AGENT_TOLERATION_PATHS
from domain import catalog
from domain.settings import PlatformSettings, load_settings
from domain.settings.loader import parse_config_value
from domain.settings.node_pools import GPU_TAINT_KEY, POOL_LABEL, SPOT_TAINT_KEY, SYSTEM_TAINT_KEY
from domain.versions import CHARTS
from policy.mlpolicies.policies import ALL
from policy.mlpolicies.settings import OPTIONS
from stacks.offline import ROOT, read_stack_config

CONFIG_DIR = ROOT / "policy" / "config"
GPU_OPERATOR = CHARTS["gpu-operator"].chart


def _taint(pools: list[Any], key: str) -> dict[str, str] | None:
    for pool in pools:
        for taint in pool.taints:
            if taint.key == key:
                return {"key": taint.key, "value": taint.value, "effect": taint.effect}
    return None


def platform_view(settings: PlatformSettings) -> dict[str, Any]:
    """The platform facts the pack reads, as config options (camelCase, as in policy/mlpolicies/settings.py)."""
    pools = settings.pools
    view: dict[str, Any] = {
        "nodePoolLabel": POOL_LABEL,
        "nodePoolTaints": {p.name: [{"key": t.key, "value": t.value, "effect": t.effect} for t in p.taints]
                           for p in pools},
        "gpuNodePools": [p.name for p in pools if p.kind == "gpu"],
        "systemNodePools": [p.name for p in pools if p.kind == "system"],
        "gpuInstanceFamilies": sorted({t.family for t in catalog.INSTANCE_TYPES.values() if t.is_nvidia_gpu}),
        "gpuCharts": [GPU_OPERATOR],
        # The pack's knowledge of third-party charts stays; the platform's own charts are added: the GPU
        # operator with its node agents' toleration paths, every other chart as running no GPU pods.
        "chartTolerationPaths": {**OPTIONS["chartTolerationPaths"]["default"],
                                 GPU_OPERATOR: list(AGENT_TOLERATION_PATHS)},
        "chartGpuRequestPaths": {**OPTIONS["chartGpuRequestPaths"]["default"],
                                 **{pin.chart: [] for pin in CHARTS.values() if pin.chart != GPU_OPERATOR}},
    }
    for prefix, kind, key in (("gpu", "gpu", GPU_TAINT_KEY), ("spot", "spot", SPOT_TAINT_KEY),
                              ("system", "system", SYSTEM_TAINT_KEY)):
        taint = _taint([p for p in pools if p.kind == kind], key)
        if taint:
            view.update({f"{prefix}TaintKey": taint["key"], f"{prefix}TaintValue": taint["value"],
                         f"{prefix}TaintEffect": taint["effect"]})
    return view


PLATFORM_OPTIONS = ("nodePoolLabel", "nodePoolTaints", "gpuNodePools", "systemNodePools", "gpuInstanceFamilies",
                    "gpuCharts", "chartTolerationPaths", "chartGpuRequestPaths",
                    *(f"{p}Taint{f}" for p in ("gpu", "spot", "system") for f in ("Key", "Value", "Effect")))


def stack_settings(stack: str) -> PlatformSettings:
    raw, secret_keys = read_stack_config(stack)
    prefix = "mlplatform:"
    config = {k[len(prefix):]: parse_config_value(v) for k, v in raw.items() if k.startswith(prefix)}
    return load_settings(stack, config, secret_keys=[k[len(prefix):] for k in secret_keys])


def with_platform_view(config: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    """`config` with every policy's platform options replaced by `view`'s; hand-set entries kept.

    CrossGuard configures policies one by one (an `all` entry carries only a level), so each policy
    that reads a platform option gets it in its own entry."""
    out: dict[str, Any] = {"all": config["all"]} if "all" in config else {}
    for policy in ALL:
        entry = config.get(policy.name, {})
        entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
        entry = {k: v for k, v in entry.items() if k not in PLATFORM_OPTIONS}
        reads = policy.config_schema.properties if policy.config_schema else {}
        entry.update({k: view[k] for k in PLATFORM_OPTIONS if k in reads and k in view})
        if set(entry) == {"enforcementLevel"}:
            out[policy.name] = entry["enforcementLevel"]
        elif entry:
            out[policy.name] = entry
    return out


def render(config: dict[str, Any]) -> str:
    return json.dumps(config, indent=2) + "\n"


def stacks() -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


def expected(stack: str) -> str:
    path = Path(CONFIG_DIR) / f"{stack}.json"
    current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"all": "mandatory"}
    return render(with_platform_view(current, platform_view(stack_settings(stack))))


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail when a file is out of date instead of writing it")
    args = parser.parse_args(argv)
    stale = []
    for stack in stacks():
        path = Path(CONFIG_DIR) / f"{stack}.json"
        text = expected(stack)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        if args.check:
            stale.append(_shown(path))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {_shown(path)}")
    if stale:
        print(f"out of date: {', '.join(stale)}. Fix: python -m stacks.policy_config", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
