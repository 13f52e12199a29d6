"""Monitoring stack settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Settings

if TYPE_CHECKING:
    from .platform import PlatformSettings


class ObservabilitySettings(Settings):
    def problems(self, platform: "PlatformSettings") -> list[str]:
        """Checks that need the rest of the platform's settings; each names its config key."""
        return []
