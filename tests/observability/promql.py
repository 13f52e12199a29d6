"""PromQL helpers for the tests: Grafana variable substitution, parsing and metric-name extraction."""

from __future__ import annotations

import re

import promql_parser

# Grafana's interval macros stand where PromQL expects a duration.
_DURATION_MACROS = re.compile(r"\$\{?__(rate_interval|interval|range|interval_ms|range_s)\}?")
_VARIABLE = re.compile(r"\$\{[a-zA-Z_][a-zA-Z0-9_]*(:[a-z]+)?\}|\$[a-zA-Z_][a-zA-Z0-9_]*|\[\[[a-zA-Z_][a-zA-Z0-9_]*\]\]")
_LABEL_VALUES = re.compile(r"^\s*label_values\((?P<expr>.+),\s*(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", re.S)
_QUERY_RESULT = re.compile(r"^\s*query_result\((?P<expr>.+)\)\s*$", re.S)


def substitute_grafana_variables(expr: str) -> str:
    """Replace Grafana macros and template variables with values the PromQL grammar accepts."""
    expr = _DURATION_MACROS.sub("5m", expr)
    return _VARIABLE.sub("placeholder", expr)


def variable_query_promql(query: str) -> str | None:
    """The PromQL inside a Grafana query variable (label_values(<expr>, label), query_result(<expr>))."""
    for pattern in (_LABEL_VALUES, _QUERY_RESULT):
        match = pattern.match(query)
        if match:
            return match.group("expr")
    return None


def parse(expr: str):
    return promql_parser.parse(expr)


def metric_names(expr: str) -> set[str]:
    """Names of every vector/matrix selector in the expression, read from the parsed AST."""
    names: set[str] = set()
    unnamed: list[str] = []

    def visit(node) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            name = node.name
            if not name:
                for matcher in node.matchers.matchers:
                    if matcher.name == "__name__" and matcher.op == promql_parser.MatchOp.Equal:
                        name = matcher.value
            if name:
                names.add(name)
            else:
                unnamed.append(str(node))

    promql_parser.walk(parse(expr), visit)
    if unnamed:
        raise ValueError(f"selectors without a fixed metric name: {unnamed}")
    return names
