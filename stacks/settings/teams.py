"""Team namespaces and their quotas."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Settings

if TYPE_CHECKING:
    from .platform import PlatformSettings


class TeamSettings(Settings):
    name: str

    def problems(self, platform: "PlatformSettings") -> list[str]:
        return []
