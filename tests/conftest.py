"""Shared test helpers: evaluate stacks under mocks once per session and cache the result."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from domain.settings.loader import merge_pools  # noqa: E402
from stacks.offline import Evaluation, evaluate, read_stack_config  # noqa: E402

STACKS = ("dev", "staging", "prod")
_CACHE: dict[str, Evaluation] = {}


def evaluate_stack(stack: str, overrides: dict[str, Any] | None = None) -> Evaluation:
    """Evaluate Pulumi.<stack>.yaml, with `overrides` (keys without the mlplatform: prefix) on top.

    Plain stacks are cached: evaluation is deterministic and each takes a few seconds.
    """
    key = stack + json.dumps(overrides or {}, sort_keys=True)
    if key not in _CACHE:
        config, secret_keys = read_stack_config(stack)
        for k, v in (overrides or {}).items():
            key = k if ":" in k else f"mlplatform:{k}"
            if key == "mlplatform:nodePools" and key in config:  # pools merge by name, as over the defaults
                v = merge_pools(json.loads(config[key]), v)
            config[key] = v if isinstance(v, str) else json.dumps(v)
        _CACHE[key] = evaluate(stack, config, secret_keys)
    return _CACHE[key]


@pytest.fixture(params=STACKS)
def stack_eval(request) -> Evaluation:
    """Each of dev, staging and prod, evaluated end to end."""
    return evaluate_stack(request.param)
