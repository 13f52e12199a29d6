"""Check Helm values against the committed key skeleton of the pinned kube-prometheus-stack chart."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SKELETON = FIXTURES / "kube-prometheus-stack.keys.txt"
EXTRA = FIXTURES / "kube-prometheus-stack.extra-keys.yaml"


def segment(key: Any) -> str:
    text = str(key)
    return f'"{text}"' if "." in text or " " in text else text


def split_path(path: str) -> list[str]:
    """Split a dotted path whose dotted segments are double-quoted."""
    parts, current, quoted = [], "", False
    for char in path:
        if char == '"':
            quoted = not quoted
            current += char
        elif char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


@dataclass(frozen=True)
class ChartKeys:
    kinds: dict[str, str]  # upstream path -> map | {} | list | scalar | null
    commented: dict[str, str]  # path -> why it is valid although upstream shows it only commented out
    free_form: dict[str, str]  # path -> why anything below it is accepted
    free_form_names: dict[str, str]  # key name -> why anything below a key of that name is accepted
    chart_version: str

    @classmethod
    def load(cls) -> ChartKeys:
        kinds: dict[str, str] = {}
        version = ""
        for line in SKELETON.read_text().splitlines():
            if line.startswith("# kube-prometheus-stack "):
                version = line.split()[-1]
            if not line or line.startswith("#"):
                continue
            path, kind = line.split("\t")
            kinds[path] = kind
        extra = yaml.safe_load(EXTRA.read_text())
        return cls(kinds, extra["commented_upstream"], extra["free_form"], extra["free_form_names"], version)

    def is_known(self, path: str) -> bool:
        return path in self.kinds or path in self.commented

    def problems(self, values: dict[str, Any]) -> list[str]:
        return list(self._check(values, ""))

    def _check(self, values: dict[str, Any], prefix: str) -> Iterator[str]:
        for key, value in values.items():
            path = f"{prefix}.{segment(key)}" if prefix else segment(key)
            if not self.is_known(path):
                yield f"{path}: not a key of kube-prometheus-stack {self.chart_version} (or its subcharts)"
                continue
            mismatch = self._type_problem(path, value)
            if mismatch:
                yield mismatch
            elif isinstance(value, dict) and not self._free_below(path):
                yield from self._check(value, path)

    def _type_problem(self, path: str, value: Any) -> str | None:
        kind = self.kinds.get(path, "null")  # commented-out keys have no recorded kind
        if isinstance(value, dict) and kind in ("scalar", "list"):
            return f"{path}: upstream is a {kind}, values set a mapping"
        if isinstance(value, list) and kind in ("map", "{}", "scalar"):
            return f"{path}: upstream is a {'mapping' if kind != 'scalar' else kind}, values set a list"
        if not isinstance(value, dict | list) and value is not None and kind in ("map", "{}", "list"):
            return f"{path}: upstream is a {'mapping' if kind != 'list' else kind}, values set a scalar"
        return None

    def _free_below(self, path: str) -> bool:
        return path in self.free_form or split_path(path)[-1] in self.free_form_names
