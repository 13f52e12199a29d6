"""Pulumi entry point: parse settings (fails before any resource on bad config), build, export."""

import pulumi

from domain.settings import settings_from_pulumi_config
from stacks.program import build_outputs

for key, value in build_outputs(settings_from_pulumi_config()).items():
    pulumi.export(key, value)
