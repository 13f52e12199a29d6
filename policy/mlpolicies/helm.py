"""Helm v3 Releases as the pack sees them: the chart's name, the effective values, and dotted value paths.

A `kubernetes:helm.sh/v3:Release` renders its pods inside the provider, invisible to the pack, so
what the pack knows about a chart's pods is where its values put them (see the options
`chartTolerationPaths` and `chartGpuRequestPaths`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pulumi
import yaml

from .values import UNKNOWN, Props, as_list, dig

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"


def chart_name(chart: str) -> str:
    """"gpu-operator", "nvidia/gpu-operator" and "oci://ghcr.io/nvidia/gpu-operator" all name gpu-operator."""
    return chart.rstrip("/").rsplit("/", 1)[-1]


def release_chart(props: Props) -> str | None:
    chart = props.get("chart")
    return chart_name(chart) if isinstance(chart, str) and chart else None


def _merge(base: Any, override: Any) -> Any:
    """Helm's values merge: maps merge key by key, anything else (lists included) replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value)
        return merged
    return override


def _load_values_file(asset: Any) -> Any:
    """Parsed valueYamlFiles entry, or None when it cannot be read from here."""
    try:
        if isinstance(asset, pulumi.StringAsset):
            text = asset.text
        elif isinstance(asset, pulumi.FileAsset):
            with open(asset.path, encoding="utf-8") as handle:
                text = handle.read()
        else:
            return None
        document = yaml.safe_load(text) if isinstance(text, str) else None
    except (OSError, yaml.YAMLError):
        return None
    return document if isinstance(document, dict) else None


def effective_values(props: Props) -> tuple[Any, bool]:
    """The release's values (valueYamlFiles, then `values` on top, as the provider merges them),
    and whether every source could be read."""
    merged: Any = {}
    complete = True
    files = as_list(props.get("valueYamlFiles"))
    for asset in [] if files is UNKNOWN else files:
        document = _load_values_file(asset)
        if document is None:
            complete = False
        else:
            merged = _merge(merged, document)
    complete = complete and files is not UNKNOWN
    values = props.get("values")
    if values is UNKNOWN:
        return UNKNOWN, False
    if isinstance(values, dict):
        merged = _merge(merged, values)
    return merged, complete


def resolve(values: Any, path: str, bound: Mapping[str, int] | None = None,
            ) -> Iterator[tuple[str, Any, dict[str, int]]]:
    """(concrete path, value, list indices taken) for a dotted `path` in which `key[]` visits every item
    of a list; lists already `bound` (by the same `key[]` prefix) visit only that item. An unknown list
    yields UNKNOWN once."""
    parts = path.split(".")

    def walk(value: Any, index: int, concrete: tuple[str, ...], binds: dict[str, int]
             ) -> Iterator[tuple[str, Any, dict[str, int]]]:
        if index == len(parts):
            yield ".".join(concrete), value, binds
            return
        part = parts[index]
        if not part.endswith("[]"):
            yield from walk(dig(value, part), index + 1, (*concrete, part), binds)
            return
        key, prefix = part[:-2], ".".join(parts[:index + 1])
        items = as_list(dig(value, key))
        if items is UNKNOWN:
            yield ".".join((*concrete, key)), UNKNOWN, binds
            return
        chosen = [bound[prefix]] if bound and prefix in bound else range(len(items))
        for position in chosen:
            if 0 <= position < len(items):
                yield from walk(items[position], index + 1, (*concrete, f"{key}[{position}]"),
                                {**binds, prefix: position})

    yield from walk(values, 0, (), {})
