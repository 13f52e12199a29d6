"""Pins are current and consistent: chart defaults, release dates, digests, and the plan's warnings."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from components.services.database_bootstrap import bootstrap_container
from domain.versions import CHARTS, IMAGE_PINS, STALE_AFTER_DAYS, ImagePin, pin_warnings
from stacks.plan import render_pins

DEFAULTS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "charts" / "image_defaults.json").read_text())
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def normalized(reference: str) -> str:
    """docker.io/library/x:1 and x:1 name the same image."""
    for prefix in ("docker.io/library/", "docker.io/"):
        if reference.startswith(prefix):
            return reference[len(prefix):]
    return reference


def test_the_chart_defaults_fixture_is_for_the_pinned_chart_versions() -> None:
    for chart, default in DEFAULTS.items():
        if chart.startswith("_"):
            continue
        assert CHARTS[chart].version == default["version"], f"{chart}: re-read the chart's default image"


@pytest.mark.parametrize("name", sorted(IMAGE_PINS))
def test_an_image_a_chart_sets_is_the_chart_s_default_unless_the_pin_says_why(name: str) -> None:
    pin = IMAGE_PINS[name]
    if not pin.chart:
        return
    default = DEFAULTS[pin.chart]["image"]
    if pin.differs_from_chart:
        assert normalized(pin.reference) != default, f"{name}: equals the chart default now; drop differs_from_chart"
    else:
        assert normalized(pin.reference) == default, f"{name}: {pin.reference} is not {pin.chart}'s default {default}"


def test_every_pin_records_where_its_date_and_digest_come_from() -> None:
    dated = [(k, p.released, p.released_source) for k, p in CHARTS.items()]
    dated += [(k, p.released, p.released_source) for k, p in IMAGE_PINS.items()]
    for name, released, source in dated:
        if released:
            assert date.fromisoformat(released) <= date(2026, 11, 30) or source, name
            assert source, f"{name}: a release date needs its source"
    for name, pin in IMAGE_PINS.items():
        if pin.digest:
            assert DIGEST.match(pin.digest) and pin.digest_source, name
            assert pin.pinned == f"{pin.reference}@{pin.digest}"
        else:
            assert pin.pinned == pin.reference


def test_the_database_jobs_run_their_client_images_by_digest() -> None:
    """The Jobs that receive database credentials never run a mutable tag alone (scanner finding, issue 15 §6)."""
    for engine, image in (("postgres", "postgres-client"), ("mysql", "mysql-client")):
        container = bootstrap_container(engine, "db.example.internal", 5432, "master", "app")
        assert container["image"] == IMAGE_PINS[image].pinned and "@sha256:" in container["image"]


def test_keycloak_config_cli_is_built_for_the_keycloak_minor() -> None:
    keycloak = IMAGE_PINS["keycloak"].tag
    built_for = IMAGE_PINS["keycloak-config-cli"].tag.split("-", 1)[1]
    assert built_for.split(".")[:2] == keycloak.split(".")[:2]


def test_the_plan_warns_about_old_undated_and_undigested_pins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(IMAGE_PINS, "old", ImagePin("docker.io/example/old:1.0", "2020-01-01", "example"))
    monkeypatch.setitem(IMAGE_PINS, "undated", ImagePin("docker.io/example/undated:1.0", digest="sha256:" + "0" * 64,
                                                        digest_source="example"))
    warnings = pin_warnings(date(2026, 11, 30))
    assert "image old 1.0: released 2020-01-01, more than a year ago; check for a current release" in warnings
    assert "image old 1.0: digest unverified (pinned by tag only)" in warnings
    assert "image undated 1.0: release date unverified" in warnings
    assert not [w for w in warnings if w.startswith("image undated 1.0: digest")]
    assert "warning: image old 1.0: digest unverified (pinned by tag only)" in render_pins(date(2026, 11, 30)).splitlines()
    # A year after the newest pin, every dated pin is stale.
    newest = max(date.fromisoformat(p.released) for p in CHARTS.values() if p.released)
    later = date.fromordinal(newest.toordinal() + STALE_AFTER_DAYS + 1)
    assert all(any(w.startswith(f"chart {k} ") for w in pin_warnings(later)) for k in CHARTS)


def test_readme_tells_teams_the_zenml_client_that_matches_the_server() -> None:
    """The ZenML client warns on any version mismatch with its server (zenml/zen_stores/rest_zen_store.py)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert f'pip install "zenml=={IMAGE_PINS["zenml-server"].tag}"' in readme
    assert CHARTS["zenml"].version == IMAGE_PINS["zenml-server"].tag


def test_the_plan_warns_about_chart_values_not_checked_against_their_own_version() -> None:
    unverified = {k for k, p in CHARTS.items() if p.values_unverified}
    assert unverified == {"zenml"}  # only ZenML 0.98.0's values.yaml could not be read here
    assert any(w.startswith("chart zenml 0.98.0: values unverified (") for w in pin_warnings(date(2026, 11, 30)))
