"""Kubernetes fields as the API spells them, handed to the typed pulumi_kubernetes SDK.

Pure builders return Kubernetes objects as the API spells them (camelCase), which is what the tests,
the charts and the policy pack read, and the SDK sends dict inputs on as they are. The SDK's typed
inputs (`*ArgsDict`) spell their keys in snake_case, so such a dict cannot be typed as one: `api_fields`
marks that hand-over, in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi


def api_fields(fields: Mapping[str, Any] | Sequence[Mapping[str, Any]] | pulumi.Output[Any]) -> Any:
    """`fields` (API spelling) as an input of any typed SDK argument."""
    return fields
