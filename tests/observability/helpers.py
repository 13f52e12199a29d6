"""What the observability tests inspect: settings per stack, rules, dashboards and their PromQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from components.observability.dashboards import dashboards
from components.observability.rules import all_rules, prometheus_rules
from domain.settings import PlatformSettings, load_settings

STACKS = ("dev", "staging", "prod")


def stack_settings(stack: str, **config: Any) -> PlatformSettings:
    return load_settings(stack, dict(config))


def observability(stack: str, **config: Any):
    settings = stack_settings(stack, **config)
    return settings, settings.observability


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # panels of collapsed rows


def dashboard_expressions(obs) -> Iterator[tuple[str, str]]:
    """(where, expression) of every dashboard target and query variable."""
    from .promql import variable_query_promql

    for stem, dashboard in dashboards(obs).items():
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                yield f"{stem}: panel '{panel['title']}' {target['refId']}", target["expr"]
        for variable in dashboard.get("templating", {}).get("list", []):
            if variable.get("type") == "query":
                query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
                expr = variable_query_promql(query)
                if expr is not None:
                    yield f"{stem}: variable ${variable['name']}", expr


def rule_expressions(obs) -> Iterator[tuple[str, str]]:
    for rule in all_rules(prometheus_rules(obs)):
        yield f"rule {rule.get('alert') or rule.get('record')}", rule["expr"]


def recorded_names(obs) -> set[str]:
    return {rule["record"] for rule in all_rules(prometheus_rules(obs)) if "record" in rule}


def run_program(program, stack: str = "dev"):
    """Run `program` (which registers resources) under the platform's mocks; return what it registered."""
    import pulumi

    from stacks.offline import PlatformMocks, RecordingMonitor

    mocks = PlatformMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="mlplatform", stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.test(program)()
    return list(monitor.planned)


def tolerates(tolerations: list[dict[str, Any]], taint: dict[str, str]) -> bool:
    """Kubernetes toleration matching (core/v1 Toleration.ToleratesTaint)."""
    for tol in tolerations:
        if tol.get("effect") and tol["effect"] != taint["effect"]:
            continue
        operator = tol.get("operator", "Equal")
        if operator == "Exists" and (not tol.get("key") or tol["key"] == taint["key"]):
            return True
        if operator == "Equal" and tol.get("key") == taint["key"] and tol.get("value", "") == taint.get("value", ""):
            return True
    return False
