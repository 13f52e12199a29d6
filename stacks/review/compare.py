"""Side-by-side differences of two stacks: settings, node pools and costs."""

from __future__ import annotations

from typing import Any

from domain.settings import PlatformSettings

_MISSING = "-"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys of a nested settings dump; lists of named objects are keyed by name."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else k))
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
        for v in value:
            out.update(flatten({k: x for k, x in v.items() if k != "name"}, f"{prefix}[{v['name']}]"))
    else:
        out[prefix] = value
    return out


def settings_diff(a: PlatformSettings, b: PlatformSettings) -> list[tuple[str, Any, Any]]:
    """(key, value in a, value in b) for every setting that differs, in config spelling."""
    fa = flatten(a.model_dump(by_alias=True, exclude={"stack"}))
    fb = flatten(b.model_dump(by_alias=True, exclude={"stack"}))
    keys = sorted(set(fa) | set(fb))
    return [(k, fa.get(k, _MISSING), fb.get(k, _MISSING)) for k in keys if fa.get(k, _MISSING) != fb.get(k, _MISSING)]


def pool_summary(settings: PlatformSettings) -> dict[str, str]:
    return {p.name: f"{p.instance_types[0]} {p.capacity_type.lower()} {p.min_size}..{p.max_size}" for p in settings.pools}


def pools_side_by_side(a: PlatformSettings, b: PlatformSettings) -> list[tuple[str, str, str]]:
    pa, pb = pool_summary(a), pool_summary(b)
    names = list(dict.fromkeys([*pa, *pb]))
    return [(n, pa.get(n, _MISSING), pb.get(n, _MISSING)) for n in names]
