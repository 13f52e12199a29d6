"""Rotations take effect: the realm is applied to the running Keycloak, and pods that read a rotated Secret
through their environment roll (issue 15 §4)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from components.secret import SECRETS_CHECKSUM_ANNOTATION, secrets_checksum, with_pod_annotations
from components.services.keycloak import (
    ADMIN_SECRET,
    CONFIG_JOB,
    INTERNAL_URL,
    REALM_SECRET,
    keycloak_values,
    realm_config_job_spec,
)
from domain.services import SERVICES
from domain.versions import IMAGE_PINS
from stacks.offline import Evaluation
from tests.conftest import STACKS, evaluate_stack

from .helpers import RELEASE, SERVICE_NAMESPACES, scan, settings, unwrap

JOB = "kubernetes:batch/v1:Job"
PLACEMENT: dict[str, Any] = {"nodeSelector": {"node-pool": "cpu"}, "tolerations": []}


@pytest.fixture(params=STACKS)
def ev(request: pytest.FixtureRequest) -> Evaluation:
    return evaluate_stack(request.param)


def test_every_service_pod_template_carries_the_checksum_of_its_env_secrets(ev: Evaluation) -> None:
    for release in ev.of_type(RELEASE):
        if release.inputs.get("namespace") not in SERVICE_NAMESPACES:
            continue
        annotations = unwrap(release.inputs["values"])["podAnnotations"]
        checksum = annotations[SECRETS_CHECKSUM_ANNOTATION]
        assert len(checksum) == 16 and int(checksum, 16) >= 0, release.name
    # Unsecret: the values (and so the preview of a release) stay readable.
    assert not any(scan(r.inputs.get("values"), "4dabf18193072939515e22adb298388d")
                   for r in ev.of_type(RELEASE) if r.inputs.get("namespace") in SERVICE_NAMESPACES)


def test_a_rotated_value_changes_the_checksum() -> None:
    before = secrets_checksum(["db-password", "admin-password"])
    assert secrets_checksum(["db-password-2", "admin-password"]) != before
    assert secrets_checksum(["db-password", "admin-password-2"]) != before
    assert secrets_checksum(["db-password", "admin-password"]) == before
    values = with_pod_annotations({"podAnnotations": {"a": "b"}, "x": 1}, {SECRETS_CHECKSUM_ANNOTATION: before})
    assert values == {"podAnnotations": {"a": "b", SECRETS_CHECKSUM_ANNOTATION: before}, "x": 1}


def test_the_realm_is_applied_by_a_job_after_keycloak_starts(ev: Evaluation) -> None:
    (job,) = [r for r in ev.of_type(JOB) if r.inputs["metadata"].get("name") == CONFIG_JOB]
    assert job.inputs["metadata"]["namespace"] == "keycloak"
    keycloak_release = next(r for r in ev.of_type(RELEASE) if r.inputs.get("namespace") == "keycloak")
    assert keycloak_release.urn in job.all_dependencies
    realm_secret = next(r for r in ev.of_type("kubernetes:core/v1:Secret")
                        if r.inputs["metadata"].get("name") == REALM_SECRET)
    assert realm_secret.urn in job.all_dependencies
    pod = unwrap(job.inputs["spec"])["template"]
    (container,) = pod["spec"]["containers"]
    assert container["image"] == IMAGE_PINS["keycloak-config-cli"].pinned
    env = {e["name"]: e for e in container["env"]}
    assert env["KEYCLOAK_URL"]["value"] == f"{INTERNAL_URL}/auth"
    assert env["KEYCLOAK_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": ADMIN_SECRET, "key": "password"}
    assert not scan(job.inputs, "Zq9x7Kp2Lm4Nw8Rt")  # no secret value in the Job spec
    assert len(pod["metadata"]["annotations"]["mlplatform.io/realm-sha256"]) == 16


def test_a_realm_change_replaces_the_job_and_keycloak_no_longer_imports_at_start() -> None:
    one = realm_config_job_spec(realm_file="platform-realm.json", placement=PLACEMENT, realm_digest="aaaa")
    two = realm_config_job_spec(realm_file="platform-realm.json", placement=PLACEMENT, realm_digest="bbbb")
    assert one != two  # a changed spec: the Job is replaced (replace_on_changes) and runs again
    values = keycloak_values(settings("dev").services_layer().deployment("keycloak"), db_host="h", db_port=5432,
                             service_monitor=False)
    assert "--import-realm" not in json.dumps(values)


def test_the_realm_job_is_restricted() -> None:
    spec = realm_config_job_spec(realm_file="platform-realm.json", placement=PLACEMENT, realm_digest="aaaa")
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] and pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_grafana_rolls_when_its_oidc_secret_or_database_password_rotates(ev: Evaluation) -> None:
    (release,) = [r for r in ev.of_type(RELEASE) if r.inputs.get("namespace") == "monitoring"
                  and r.inputs.get("chart") == "kube-prometheus-stack"]
    grafana = unwrap(release.inputs["values"])["grafana"]
    assert len(grafana["podAnnotations"][SECRETS_CHECKSUM_ANNOTATION]) == 16


def test_the_rotation_runbook_names_every_generated_secret_of_the_services() -> None:
    """README "Day two / Rotate" covers each pulumi_random resource of the services, OIDC clients and
    monitoring, and names none that does not exist."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Rotate", 1)[1].split("### Pins", 1)[0]
    named: set[str] = set()
    for name in re.findall(r"`((?:services|oidc-clients|observability)-[a-z0-9<>-]+)`", section):
        named |= {name.replace("<svc>", s.name) for s in SERVICES} if "<svc>" in name else {name}
    ev = evaluate_stack("dev")
    randoms = {r.name for r in ev.resources if r.type.startswith("random:index/random")
               and r.name.startswith(("services-", "oidc-clients-", "observability-"))}
    assert randoms - named == set(), "generated secrets without a rotation runbook"
    existing = randoms | {r.name for r in ev.resources}
    assert {n for n in named if n not in existing} == set(), "runbook names that the plan does not have"
