"""Base model for every settings object: camelCase config keys, unknown keys rejected, immutable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Settings(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


class SettingsError(ValueError):
    """Invalid stack settings. Each problem names its config key and the fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            "Invalid stack settings:\n" + "\n".join(f"  - {p}" for p in problems)
        )
