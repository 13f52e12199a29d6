"""Helm values against the committed key skeletons of the pinned upstream charts (tests/fixtures/charts).

Every chart the platform installs has one fixture, `<chart>.keys.json`, written by
tests/tools/chart_skeleton.py from the upstream chart (tests never read the upstream folder):

- chart, version (of the chart the values were taken from; must equal the pin in domain/versions.py),
  source (repository@commit:path of its values.yaml) and subcharts ({prefix: {version, source}}: a
  subchart's keys appear under its prefix, merged with the parent's block of that name);
- keys: every dotted key path of the default values -> its upstream type (map, list, string, number,
  bool, null). A path segment holding a dot or a space is double-quoted: grafana."grafana.ini".server;
- open: paths whose children are free-form (Kubernetes objects, maps of names the user chooses) -> why.
  Nothing below them is checked. Lists are always leaves;
- extra: paths the chart accepts although its values.yaml shows them only commented out (or they are
  documented elsewhere) -> why. They take a value of any type, but a map if extra keys sit below them;
- alternativeTypes: path -> {types, reason}: types the chart accepts besides its default's;
- schema, defaults: for charts whose values.schema.json the tests validate against, the schema's file
  name (next to the fixture) and the upstream default values (Helm merges values over them first);
- versionNote: why the version is not the one in the upstream Chart.yaml (gpu-operator's says -devel).

A value is a problem if its path is not a key (nor extra), or if its type is neither the upstream
default's nor an alternative (a null default takes anything; a null value is a type like any other).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import jsonschema

from domain.versions import CHARTS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "charts"
TYPES = ("map", "list", "string", "number", "bool", "null")


def segment(key: Any) -> str:
    """One path segment: the key, double-quoted if it holds a dot or a space."""
    text = str(key)
    return f'"{text}"' if "." in text or " " in text else text


def join(prefix: str, key: Any) -> str:
    return f"{prefix}.{segment(key)}" if prefix else segment(key)


def split_path(path: str) -> list[str]:
    """The segments of a dotted path (double-quoted segments keep their quotes)."""
    parts, current, quoted = [], "", False
    for char in path:
        if char == '"':
            quoted = not quoted
        if char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def parent_path(path: str) -> str:
    return ".".join(split_path(path)[:-1])


def type_name(value: Any) -> str:
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return "string"


@dataclass(frozen=True)
class Skeleton:
    """The committed key skeleton of one pinned chart (the fields of its fixture, see the module doc)."""

    chart: str
    version: str
    source: str
    subcharts: dict[str, dict[str, str]]
    keys: dict[str, str]
    open: dict[str, str]
    extra: dict[str, str]
    alternative_types: dict[str, dict[str, Any]]
    schema: str | None
    defaults: dict[str, Any] | None

    def is_key(self, path: str) -> bool:
        """The chart accepts `path`: an upstream key, or an extra one."""
        return path in self.keys or path in self.extra

    def children(self, path: str) -> set[str]:
        """Names of the keys (upstream or extra) directly below `path`."""
        return {split_path(p)[-1] for p in (*self.keys, *self.extra) if parent_path(p) == path}

    @cached_property
    def _extra_parents(self) -> frozenset[str]:
        return frozenset(parent_path(p) for p in self.extra)

    def expected_type(self, path: str) -> str:
        """The upstream type of a key; for an extra key, map if extra keys sit below it, else null (any)."""
        if path in self.keys:
            return self.keys[path]
        return "map" if path in self._extra_parents else "null"

    def accepts_type(self, path: str, value: Any) -> bool:
        expected, actual = self.expected_type(path), type_name(value)
        return expected in ("null", actual) or actual in self.alternative_types.get(path, {}).get("types", ())


@cache
def skeleton(chart: str) -> Skeleton:
    doc = json.loads((FIXTURES / f"{chart}.keys.json").read_text())
    return Skeleton(doc["chart"], doc["version"], doc["source"], doc["subcharts"], doc["keys"], doc["open"],
                    doc["extra"], doc["alternativeTypes"], doc["schema"], doc["defaults"])


def fixture_charts() -> list[str]:
    """Every chart with a committed key skeleton."""
    return sorted(p.name.removesuffix(".keys.json") for p in FIXTURES.glob("*.keys.json"))


def _problems(chart: str, values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(kind, message) of each problem of `values`: kind "unknown" (not a key) or "type" (wrong type)."""
    sk = skeleton(chart)
    for key, value in values.items():
        path = join(prefix, key)
        if not sk.is_key(path):
            yield "unknown", f"{path}: not a key of {chart} {sk.version}"
        elif not sk.accepts_type(path, value):
            yield "type", f"{path}: {type_name(value)}, but the chart's default is a {sk.expected_type(path)}"
        elif isinstance(value, Mapping) and path not in sk.open:
            yield from _problems(chart, value, path)


def problems(chart: str, values: Mapping[str, Any]) -> list[str]:
    """Every key of `values` that the pinned chart does not have, or whose type it does not take."""
    return [message for _, message in _problems(chart, values)]


def unknown_keys(chart: str, values: Mapping[str, Any]) -> list[str]:
    """The keys of `values` that the pinned chart does not have (type mismatches aside)."""
    return [message for kind, message in _problems(chart, values) if kind == "unknown"]


def wrong_types(chart: str, values: Mapping[str, Any]) -> list[str]:
    """The keys of `values` that the chart has, set to a type it does not take."""
    return [message for kind, message in _problems(chart, values) if kind == "type"]


def coalesce(defaults: Any, values: Any) -> Any:
    """Helm's merge of user values over chart defaults (maps merge, anything else replaces, null deletes)."""
    if isinstance(defaults, dict) and isinstance(values, dict):
        merged = copy.deepcopy(defaults)
        for key, value in values.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = coalesce(defaults.get(key), value)
        return merged
    return copy.deepcopy(values)


@cache
def chart_schema(chart: str) -> dict[str, Any]:
    """The chart's values.schema.json (a fixture next to its key skeleton, which names it)."""
    name = skeleton(chart).schema
    assert name, f"{chart}: its key skeleton records no values.schema.json"
    return json.loads((FIXTURES / name).read_text())


def schema_errors(chart: str, values: Mapping[str, Any]) -> list[str]:
    """What Helm's schema validation would report for `values` merged over the chart's upstream defaults."""
    merged = coalesce(skeleton(chart).defaults, values)
    validator = jsonschema.Draft7Validator(chart_schema(chart))
    return [f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in validator.iter_errors(merged)]


def pin_problem(chart: str) -> str | None:
    """Why the fixture of `chart` is not of the chart version pinned in domain/versions.py, if it is not."""
    if chart not in CHARTS:
        return f"{chart}: no pin in domain/versions.py CHARTS"
    if not (FIXTURES / f"{chart}.keys.json").exists():
        return f"{chart}: no key skeleton; run tests/tools/chart_skeleton.py {chart}"
    found, pinned = skeleton(chart).version, CHARTS[chart].version
    if found != pinned:
        return f"{chart}: the key skeleton is of {found}, the pin {pinned}; run tests/tools/chart_skeleton.py {chart}"
    return None
