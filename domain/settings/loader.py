"""Parse stack config into PlatformSettings, once, before any resource is registered.

`load_settings` is pure (config in, settings or SettingsError out) so it is tested without Pulumi.
`settings_from_pulumi_config` is the thin glue that reads the running stack's config.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from .backup import DEFAULT_COPY_REGIONS
from .base import SettingsError
from .environments import DEFAULTS, ENVIRONMENTS
from .platform import PlatformSettings

PROJECT = "mlplatform"
# Top-level keys of the project's config namespace (`mlplatform:<key>`).
CONFIG_KEYS = tuple(
    field.alias or name
    for name, field in PlatformSettings.model_fields.items()
    if name not in ("project", "stack", "region", "secret_config_keys")
)


def deep_merge(base: Any, override: Any) -> Any:
    """Merge override into base: dicts key by key, `nodePools` by pool name, anything else replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if key == "nodePools" and isinstance(value, list) and isinstance(base.get(key), list):
                merged[key] = merge_pools(base[key], value)
            else:
                merged[key] = deep_merge(base.get(key), value) if key in base else value
        return merged
    return copy.deepcopy(override)


def merge_pools(defaults: list[dict[str, Any]], overrides: list[Any]) -> list[Any]:
    """Pools in config merge into the environment's pools by name; new names are added."""
    merged = [dict(p) for p in defaults]
    index = {p.get("name"): i for i, p in enumerate(merged)}
    for pool in overrides:
        name = pool.get("name") if isinstance(pool, dict) else None
        if name in index:
            merged[index[name]] = deep_merge(merged[index[name]], pool)
        else:
            merged.append(pool)
    return merged


def _duplicate_pool_names(pools: Any) -> list[str]:
    if not isinstance(pools, list):
        return []
    names = [p.get("name") for p in pools if isinstance(p, dict)]
    return sorted({n for n in names if n is not None and names.count(n) > 1})


def _config_key(loc: tuple[Any, ...], data: Mapping[str, Any]) -> str:
    """Render a pydantic error location as the config key a user edits: mlplatform:nodePools[gpu].minSize."""
    key = PROJECT
    node: Any = data
    for i, part in enumerate(loc):
        if isinstance(part, int):
            label: Any = part
            if isinstance(node, list) and part < len(node) and isinstance(node[part], dict):
                label = node[part].get("name", part)
            key += f"[{label}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            key += (":" if i == 0 else ".") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return key


_GENERIC_FIXES = {
    "missing": "Fix: set this key.",
    "extra_forbidden": "Fix: remove it, or correct its spelling (see the configuration reference in README.md).",
    "literal_error": "Fix: use one of the values listed.",
    "int_parsing": "Fix: use a whole number.",
    "int_type": "Fix: use a whole number.",
    "bool_parsing": "Fix: use true or false.",
    "greater_than_equal": "Fix: raise the value.",
    "greater_than": "Fix: raise the value.",
    "less_than_equal": "Fix: lower the value.",
    "less_than": "Fix: lower the value.",
    "too_short": "Fix: add entries.",
    "too_long": "Fix: remove entries.",
    "string_too_short": "Fix: use a longer value.",
    "string_too_long": "Fix: use a shorter value.",
    "string_pattern_mismatch": "Fix: match the pattern shown.",
    "float_parsing": "Fix: use a number.",
    "float_type": "Fix: use a number.",
    "enum": "Fix: use one of the values listed.",
    "model_type": "Fix: use a YAML mapping with the documented keys.",
    "list_type": "Fix: use a YAML list.",
    "dict_type": "Fix: use a YAML mapping.",
    "string_type": "Fix: use a string.",
}


def _problems_from(err: ValidationError, data: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for e in err.errors(include_url=False):
        cause = (e.get("ctx") or {}).get("error")
        if isinstance(cause, SettingsError):
            problems += cause.problems
            continue
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        fix = _GENERIC_FIXES.get(e["type"], "")
        if fix and "Fix:" not in msg:
            msg = f"{msg}. {fix}"
        problems.append(f"{_config_key(tuple(e['loc']), data)}: {msg}")
    return problems


def _referenced_secret_keys(config: Mapping[str, Any]) -> set[str]:
    """secretKey names of the alerting receivers in raw config (for a clearer message; never validated here)."""
    alerting = (config.get("observability") or {}).get("alerting") if isinstance(config.get("observability"), dict) else None
    receivers = alerting.get("receivers") if isinstance(alerting, dict) else None
    if not isinstance(receivers, list):
        return set()
    return {r["secretKey"] for r in receivers if isinstance(r, dict) and isinstance(r.get("secretKey"), str)}


def load_settings(stack: str, config: Mapping[str, Any], region: str | None = None,
                  secret_keys: Iterable[str] | None = None) -> PlatformSettings:
    """Validate a stack's config (keys without the `mlplatform:` prefix) over its environment's defaults.

    `secret_keys`: names of the stack's secret config keys that are not settings (their values are not in
    `config`); with None they are not checked.
    """
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    secret_refs = _referenced_secret_keys(config)
    problems = [
        f"{PROJECT}:{k}: holds a secret (observability.alerting.receivers[].secretKey names it) but is plain config. "
        f"Fix: `pulumi config rm {PROJECT}:{k}`, then `pulumi config set --secret {PROJECT}:{k} <value>`."
        if k in secret_refs else
        f"{PROJECT}:{k}: unknown config key. Fix: remove it, or use one of {list(CONFIG_KEYS)}." for k in unknown
    ]
    environment = config.get("environment", stack)
    if environment not in ENVIRONMENTS:
        problems.append(
            f"{PROJECT}:environment: unknown environment '{environment}'. "
            f"Fix: set {PROJECT}:environment to one of {list(ENVIRONMENTS)} (stack '{stack}' does not name one)."
        )
    dupes = _duplicate_pool_names(config.get("nodePools"))
    if dupes:
        problems.append(f"{PROJECT}:nodePools: duplicate pool names {dupes}. Fix: give each pool a unique name.")
    if problems:
        raise SettingsError(problems)

    data = deep_merge(DEFAULTS[environment], {k: v for k, v in config.items() if k in CONFIG_KEYS})
    data.update({"stack": stack, "environment": environment, "project": PROJECT})
    cluster = data.get("cluster", {})
    if isinstance(cluster, dict) and not cluster.get("name"):  # (a copy: DEFAULTS stay untouched)
        data["cluster"] = {**cluster, "name": f"{PROJECT}-{stack}"}
    if secret_keys is not None:
        data["secretConfigKeys"] = frozenset(secret_keys)
    if region:
        data["region"] = region
    backup = data.get("backup", {})
    copy_region = DEFAULT_COPY_REGIONS.get(data.get("region", PlatformSettings.model_fields["region"].default))
    if environment == "prod" and isinstance(backup, dict) and backup.get("copyTo") is None and copy_region:
        data["backup"] = {**backup, "copyTo": {"region": copy_region}}  # prod copies off-region by default
    try:
        return PlatformSettings.model_validate(data)
    except ValidationError as err:
        raise SettingsError(_problems_from(err, data)) from None


def parse_config_value(value: Any) -> Any:
    """Structured config arrives as a JSON string; plain strings stay strings."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def settings_from_config(stack: str, raw: Mapping[str, Any], secret: Iterable[str]) -> PlatformSettings:
    """Validate a stack's config as the engine hands it over: full keys (`mlplatform:nodePools`, `aws:region`)
    to JSON strings, and the full keys of its secret values."""
    prefix = f"{PROJECT}:"
    # Secret config that is not a setting (the alerting receivers' webhook URLs, routing keys...) stays out
    # of the settings: only its name is passed on, components read the value as a Pulumi secret.
    secret_keys = {k[len(prefix):] for k in secret if k.startswith(prefix)} - set(CONFIG_KEYS)
    config = {k[len(prefix):]: parse_config_value(v) for k, v in raw.items()
              if k.startswith(prefix) and k[len(prefix):] not in secret_keys}
    region = parse_config_value(raw["aws:region"]) if "aws:region" in raw else None
    return load_settings(stack, config, region, secret_keys=secret_keys)


def settings_from_pulumi_config() -> PlatformSettings:
    """Read the running stack's config and validate it. Raises SettingsError before any resource exists."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    raw: dict[str, Any] = dict(runtime_config.get_config_env())
    raw.update(runtime_config.CONFIG.get())
    secret = set(runtime_config.get_config_secret_keys_env()) | {k for k in raw if runtime_config.is_config_secret(k)}
    return settings_from_config(pulumi.get_stack(), raw, secret)
