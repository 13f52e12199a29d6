"""Pulumi entry point: parse settings (fails before any resource on bad config), build, export."""

import pulumi

from stacks.program import build_outputs
from stacks.settings import settings_from_pulumi_config

for key, value in build_outputs(settings_from_pulumi_config()).items():
    pulumi.export(key, value)
