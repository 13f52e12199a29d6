"""Helpers of the services tests: committed chart fixtures, key checks, schema checks, settings."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from stacks.settings import PlatformSettings, load_settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
SERVICE_NAMESPACES = ("keycloak", "mlflow", "zenml", "lakefs")
# Every pulumi_random result under the mocks contains this marker (stacks/offline.py).
MOCK_SECRET_MARKER = "Zq9x7Kp2Lm4Nw8Rt"
# Chart values that are Kubernetes API objects rendered verbatim (toYaml): their fields are the
# Kubernetes API's, not the chart's, so only the parent key has to exist upstream.
K8S_OBJECT_KEYS = frozenset({"securityContext", "podSecurityContext", "resources", "nodeSelector", "affinity",
                             "annotations", "labels", "podAnnotations", "podLabels"})

CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
ALL_INGRESS = {name: {"ingress": {"enabled": True, "host": f"{name}.example.com", "certificateArn": CERT}}
               for name in SERVICE_NAMESPACES}
MLOPS_POOL = {"name": "mlops", "kind": "cpu", "minSize": 1, "maxSize": 3,
              "taints": [{"key": "dedicated", "value": "mlops", "effect": "NoSchedule"}]}
AUTH_POOL = {"name": "auth", "kind": "cpu", "minSize": 1, "maxSize": 2,
             "taints": [{"key": "dedicated", "value": "auth", "effect": "NoSchedule"}]}


@cache
def chart_fixture(chart: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{chart}.keys.json").read_text())


@cache
def chart_schema(chart: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{chart}.values.schema.json").read_text())


def value_paths(values: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of the leaves of a values tree (lists, scalars and empty maps are leaves)."""
    if isinstance(values, dict) and values:
        for key, value in values.items():
            yield from value_paths(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix


def unknown_keys(values: dict[str, Any], chart: str) -> list[str]:
    """Paths set in `values` that the pinned chart does not have."""
    keys: dict[str, Any] = chart_fixture(chart)["keys"]
    unknown = []
    for path in value_paths(values):
        if path in keys:
            continue
        parts = path.split(".")
        accepted = False
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent not in keys:
                break
            open_map = keys[parent] == {} and not any(k.startswith(parent + ".") for k in keys)
            if open_map or parts[i - 1] in K8S_OBJECT_KEYS:
                accepted = True
                break
        if not accepted:
            unknown.append(path)
    return unknown


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


def schema_errors(values: dict[str, Any], chart: str) -> list[str]:
    """What Helm's schema validation would report for `values` merged over the chart defaults."""
    merged = coalesce(chart_fixture(chart)["defaults"], values)
    validator = jsonschema.Draft7Validator(chart_schema(chart))
    return [f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in validator.iter_errors(merged)]


def settings(stack: str = "dev", **config: Any) -> PlatformSettings:
    """Validated settings of `stack` with `config` (camelCase keys without the mlplatform: prefix)."""
    return load_settings(stack, config)


def with_ingress(stack: str = "dev") -> PlatformSettings:
    return settings(stack, services=ALL_INGRESS)


_SIG_KEY = "4dabf18193072939515e22adb298388d"


def unwrap(value: Any) -> Any:
    """Plain data from recorded inputs: secret envelopes {<sig>: ..., value: ...} replaced by their value."""
    if isinstance(value, dict):
        if _SIG_KEY in value and "value" in value:
            return unwrap(value["value"])
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def scan(value: Any, needle: str) -> bool:
    return needle in json.dumps(value, default=str)
