"""Base model for every settings object: camelCase config keys, unknown keys rejected, immutable."""

from __future__ import annotations

import ipaddress
import re

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Settings(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


def check_cidrs(cidrs: list[str], example: str = "203.0.113.0/24") -> list[str]:
    """Validate a list of CIDRs (for a field validator): each must be a network address."""
    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            raise ValueError(f"'{cidr}' is not a valid CIDR. Fix: use a network such as {example}.") from None
    return cidrs


def check_pattern(value: str, pattern: re.Pattern[str], what: str, fix: str) -> str:
    """Validate an optional string (empty: unset) against `pattern`; the error says what it is not and the fix."""
    if value and not pattern.match(value):
        raise ValueError(f"'{value}' is not {what}. Fix: {fix}")
    return value


class SettingsError(ValueError):
    """Invalid stack settings. Each problem names its config key and the fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            "Invalid stack settings:\n" + "\n".join(f"  - {p}" for p in problems)
        )
