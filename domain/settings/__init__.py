"""Typed, validated stack settings. Parse once with `load_settings`; components take these objects."""

from .base import Settings, SettingsError
from .cluster import ClusterSettings
from .loader import load_settings, settings_from_pulumi_config
from .network import NetworkSettings
from .node_pools import NodePoolSettings, Taint
from .platform import PlatformSettings

__all__ = [
    "ClusterSettings",
    "NetworkSettings",
    "NodePoolSettings",
    "PlatformSettings",
    "Settings",
    "SettingsError",
    "Taint",
    "load_settings",
    "settings_from_pulumi_config",
]
