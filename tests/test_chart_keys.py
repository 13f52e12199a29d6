"""The committed chart key skeletons (tests/fixtures/charts) and the checker every suite uses on its values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.versions import CHARTS
from tests.chart_keys import (
    FIXTURES,
    TYPES,
    fixture_charts,
    parent_path,
    pin_problem,
    problems,
    skeleton,
    split_path,
    unknown_keys,
    wrong_types,
)

SOURCE = re.compile(r"^github\.com/[\w.-]+/[\w.-]+@[0-9a-f]{40}:\S+")


def test_every_pinned_chart_and_no_other_has_a_skeleton():
    assert fixture_charts() == sorted(CHARTS)


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_skeleton_is_of_the_pinned_chart(chart):
    assert pin_problem(chart) is None
    sk = skeleton(chart)
    assert sk.chart == chart
    assert SOURCE.match(sk.source), sk.source
    for sub, info in sk.subcharts.items():
        assert SOURCE.match(info["source"]) and info["version"], sub
        assert any(path.startswith(f"{sub}.") for path in sk.keys), sub


def test_pin_problem_names_the_fix():
    assert pin_problem("no-such-chart") == "no-such-chart: no pin in domain/versions.py CHARTS"


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_rules_explain_themselves_and_are_not_upstream_already(chart):
    sk = skeleton(chart)
    assert set(sk.keys.values()) <= set(TYPES)
    reasons = {**sk.open, **sk.extra, **{p: a["reason"] for p, a in sk.alternative_types.items()}}
    for path, reason in reasons.items():
        assert isinstance(reason, str) and len(reason) > 20, path
    for path in sk.extra:
        assert path not in sk.keys, f"{path} is an upstream key; drop it from the extra keys"
        parent = parent_path(path)
        assert parent in sk.keys or parent in sk.extra, f"{path}: its parent is not a chart key"
    for path in sk.open:
        assert sk.is_key(path), f"open {path} must itself be a chart key"
        assert sk.keys.get(path, "null") in ("map", "null"), f"open {path} is a {sk.keys[path]} upstream"
    for path, alternative in sk.alternative_types.items():
        assert sk.is_key(path) and set(alternative["types"]) <= set(TYPES), path


@pytest.mark.parametrize("chart", [c for c in sorted(CHARTS) if skeleton(c).schema])
def test_schema_fixtures_come_with_the_defaults(chart):
    sk = skeleton(chart)
    assert (FIXTURES / sk.schema).is_file()
    assert isinstance(sk.defaults, dict) and sk.defaults


def test_paths_quote_segments_with_dots():
    assert split_path('grafana."grafana.ini".server') == ["grafana", '"grafana.ini"', "server"]
    assert 'grafana."grafana.ini"' in skeleton("kube-prometheus-stack").open


def test_the_checker():
    chart = "cluster-autoscaler"
    assert unknown_keys(chart, {"image": {"tagg": "v1"}, "nope": {"deeper": 1}}) == [
        "image.tagg: not a key of cluster-autoscaler 9.59.0", "nope: not a key of cluster-autoscaler 9.59.0"]
    assert wrong_types(chart, {"replicaCount": "2", "image": {"tag": None}, "tolerations": {}}) == [
        "replicaCount: string, but the chart's default is a number",
        "image.tag: null, but the chart's default is a string",
        "tolerations: map, but the chart's default is a list",
    ]
    # Open maps take anything below them; extra keys any type; alternative types are accepted.
    assert problems(chart, {"nodeSelector": {"any": "label"}, "extraArgs": {"expander": ["x"]},
                            "expanderPriorities": "1:\n- .*\n"}) == []
    assert problems("zenml", {"server": {"database": {"passwordSecretRef": {"name": "s", "key": "k"}}}}) == []
    assert problems("zenml", {"server": {"database": {"passwordSecretRef": {"nam": "s"}}}}) == [
        "server.database.passwordSecretRef.nam: not a key of zenml 0.98.0"]


def test_tests_never_read_the_upstream_charts():
    """Only the generator (tests/tools) reads the upstream folder: a clone of the project does not have it."""
    tests = Path(__file__).resolve().parent
    readers = [str(p.relative_to(tests)) for p in tests.rglob("*.py")
               if "tools" not in p.relative_to(tests).parts and p != Path(__file__).resolve()
               and "/work/shared" in p.read_text()]
    assert readers == []
