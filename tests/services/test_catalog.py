"""Each service is declared once (domain/services.py); every table about the services is derived from it."""

from __future__ import annotations

from components.services.platform_services import service_component
from components.services.recipe import HelmService
from domain.services import SERVICE_NAMESPACES, SERVICES, service_spec
from domain.settings.observability import ObservabilitySettings
from domain.settings.services import ServicesSettings
from domain.settings.teams import RESERVED_NAMESPACES
from domain.versions import CHARTS

from .helpers import settings


def test_every_service_has_a_settings_field_a_builder_and_a_pinned_chart() -> None:
    names = [s.name for s in SERVICES]
    fields = [f for f in ServicesSettings.model_fields if f not in ("database", "buckets", "service_monitors")]
    assert fields == names
    for spec in SERVICES:
        component = service_component(spec)
        assert issubclass(component, HelmService) and component.SPEC is spec, spec.name
        assert CHARTS[spec.chart.chart] is spec.chart, spec.name
        assert ServicesSettings.model_fields[spec.name].description, spec.name


def test_namespaces_are_derived_from_the_catalog() -> None:
    assert set(SERVICE_NAMESPACES) == {*(s.namespace for s in SERVICES), "platform-db"}
    assert set(SERVICE_NAMESPACES) <= RESERVED_NAMESPACES
    assert ObservabilitySettings().service_namespaces == [s.namespace for s in SERVICES]


def test_dedicated_pools_and_team_clients_come_from_the_catalog() -> None:
    s = settings("dev")
    team = {"teams": [{"name": "team-a", "ownersGroup": "team-a"}]}
    with_team = settings("dev", **team)
    for spec in SERVICES:
        assert s.services.pool_name(spec.name, s) == "cpu"  # no dedicated pool in dev
        assert ("team-a" in with_team.services.client_namespaces(spec.name, with_team)) == spec.team_client


def test_an_unknown_service_name_is_a_clear_error() -> None:
    try:
        service_spec("jupyterhub")
    except KeyError as error:
        assert "domain.services.SERVICES" in str(error)
    else:
        raise AssertionError("no error")
