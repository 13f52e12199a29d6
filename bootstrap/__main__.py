"""Pulumi entry point of the account bootstrap (`pulumi -C bootstrap up`): settings, refusal of placeholders, build."""

import sys
from pathlib import Path

# The project lives in bootstrap/ but shares the repository's domain/ (names, settings base): put the root first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi  # noqa: E402

from bootstrap.program import build  # noqa: E402
from bootstrap.settings import PROJECT, load_bootstrap_settings  # noqa: E402


def _config() -> dict:
    import json

    from pulumi.runtime import config as runtime_config

    prefix = f"{PROJECT}:"
    out = {}
    for key, value in runtime_config.CONFIG.get().items():
        if key.startswith(prefix) and key != f"{prefix}githubToken":
            try:
                out[key[len(prefix):]] = json.loads(value)
            except ValueError:
                out[key[len(prefix):]] = value
    return out


settings = load_bootstrap_settings(_config())
if settings.repository_is_placeholder and not pulumi.runtime.is_dry_run():
    raise SystemExit(f"error: {PROJECT}:repository is the placeholder '{settings.repository}'. "
                     f"Fix: pulumi -C bootstrap config set repository <owner>/<repo>")
for key, value in build(settings).items():
    pulumi.export(key, value)
