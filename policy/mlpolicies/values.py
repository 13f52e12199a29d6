"""Plain-data view of resource properties, with preview-time unknowns made explicit.

The engine hands policies proxies that raise `UnknownValueError` when an unknown value (one that
depends on an output not computed yet) is read. Letting that escape turns a policy run into a
"can't run policy during preview" diagnostic, so every policy first calls `materialize()`: it
copies the properties into plain dicts and lists and replaces each unknown with the `UNKNOWN`
singleton. Policies then decide explicitly what an unknown means (always: not a violation).

`Props` (what `materialize` returns) also carries a per-resource cache, so that when the runner
evaluates many policies over the same resource, the workload walk happens once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import Secret
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
)

__all__ = [
    "UNKNOWN",
    "Props",
    "as_dict",
    "as_list",
    "dig",
    "is_unknown",
    "materialize",
    "plain",
    "positive_int",
]

_SENTINELS = frozenset({
    UNKNOWN_ARCHIVE_VALUE, UNKNOWN_ARRAY_VALUE, UNKNOWN_ASSET_VALUE, UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE,
})


class _Unknown:
    """A value the engine cannot know during preview. Truthy, so `if not x` never flags it."""

    __slots__ = ()
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


class Props(dict):
    """Materialized top-level properties of one resource; `cache` holds derived per-resource data."""

    __slots__ = ("cache",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache: dict[Any, Any] = {}


def materialize(props: Any) -> Props:
    """`props` (a dict, or the engine's proxy) as plain dicts and lists with unknowns replaced by
    `UNKNOWN`. Plain input is shared, not copied, where it has no unknowns: treat it as read-only.

    Idempotent and O(1) on its own output, so every policy can call it unconditionally.
    """
    if isinstance(props, Props):
        return props
    if props is None:
        return Props()
    plain = _plain(props)
    return Props(plain) if isinstance(plain, dict) else Props()


def plain(value: Any) -> Any:
    """`materialize` for a single value of any shape."""
    return _plain(value)


_SCALARS = (int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """`value` with unknowns replaced. Plain dicts and lists are copied only where something
    changes (this runs over every node of every resource in the runner: the hottest loop)."""
    kind = type(value)
    if kind is dict:
        return _plain_dict(value)
    if kind is str:
        return UNKNOWN if value in _SENTINELS else value
    if kind is list:
        return _plain_list(value)
    if kind in _SCALARS or value is UNKNOWN:
        return value
    if isinstance(value, Secret):
        return _plain(value.value)
    if kind is _DictProxy or kind is _ListProxy:
        # The engine's proxies hand out the plain data they wrap (unknowns still as sentinel strings),
        # which converts in one pass instead of key by key through the raising proxy.
        return _plain(value["__target"])
    if isinstance(value, Mapping):
        # The engine's _DictProxy: reading an unknown raises, so read key by key.
        out = {}
        for key in value:
            try:
                out[key] = _plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items = []
        for index in range(len(value)):
            try:
                items.append(_plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def _plain_dict(value: dict[Any, Any]) -> dict[Any, Any]:
    out = None
    for key, item in value.items():
        kind = type(item)
        if kind is str:
            if item not in _SENTINELS:
                continue
            new = UNKNOWN
        elif kind in _SCALARS:
            continue
        else:
            new = _plain_dict(item) if kind is dict else _plain(item)
            if new is item:
                continue
        if out is None:
            out = dict(value)
        out[key] = new
    return value if out is None else out


def _plain_list(value: list[Any]) -> list[Any]:
    out = None
    for index, item in enumerate(value):
        new = _plain(item)
        if new is not item:
            if out is None:
                out = list(value)
            out[index] = new
    return value if out is None else out


def dig(value: Any, *path: str | int) -> Any:
    """`value[p0][p1]...`: `None` when a step is missing or of the wrong shape, `UNKNOWN` when a
    step is unknown (an unknown parent makes everything below it unknown)."""
    for step in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return None
            value = value[step]
        else:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
    return value


def as_list(value: Any) -> Any:
    """A list field: the list, `[]` when absent or malformed, or `UNKNOWN`."""
    if value is UNKNOWN or isinstance(value, list):
        return value
    return []


def as_dict(value: Any) -> Any:
    """A map field: the dict, `{}` when absent or malformed, or `UNKNOWN`."""
    if value is UNKNOWN or isinstance(value, dict):
        return value
    return {}


_DIGITS = re.compile(r"^\s*\+?[0-9]+\s*$")


def positive_int(value: Any) -> Any:
    """An integral count as Kubernetes accepts for extended resources (`1`, `"2"`, and `1.0`, which is
    how the engine's protobuf round trip spells integers). Returns the int, `UNKNOWN`, or `None`
    when the value is absent, not a whole number, or not positive."""
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (isinstance(value, str) and _DIGITS.match(value)):
        number = int(value)
    else:
        return None
    return number if number > 0 else None
