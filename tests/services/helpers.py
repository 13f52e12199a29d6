"""Helpers of the services tests: settings, pools and ingress, recorded inputs unwrapped."""

from __future__ import annotations

import json
from typing import Any

from domain.services import SERVICES
from domain.settings import PlatformSettings, load_settings

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
SERVICE_NAMESPACES = tuple(s.namespace for s in SERVICES)
# Every pulumi_random result under the mocks contains this marker (stacks/offline.py).
MOCK_SECRET_MARKER = "Zq9x7Kp2Lm4Nw8Rt"

CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
ALL_INGRESS = {name: {"ingress": {"enabled": True, "host": f"{name}.example.com", "certificateArn": CERT}}
               for name in SERVICE_NAMESPACES}
MLOPS_POOL = {"name": "mlops", "kind": "cpu", "minSize": 1, "maxSize": 3,
              "taints": [{"key": "dedicated", "value": "mlops", "effect": "NoSchedule"}]}
AUTH_POOL = {"name": "auth", "kind": "cpu", "minSize": 1, "maxSize": 2,
             "taints": [{"key": "dedicated", "value": "auth", "effect": "NoSchedule"}]}


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
