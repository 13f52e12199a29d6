"""The MLOps services of the platform, each declared once (with its chart and image pins).

Every table about the services is derived from `SERVICES`: the settings fields (`services.<name>`),
the namespaces the platform reserves, the monitoring dashboard's namespaces, the database engines and
instances, the buckets, the OIDC clients, the port-forward commands and the pools a service prefers.
Adding a Helm service means one `ServiceSpec` here and one builder module `components/services/<name>.py`
(whose `COMPONENT` the services layer builds), plus its test and README lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from domain.pins import ChartPin, ImagePin

Engine = Literal["postgres", "mysql"]
# The database bootstrap namespace (master credentials and the Jobs that create each app's database).
BOOTSTRAP_NAMESPACE = "platform-db"
DEFAULT_POOL = "cpu"


@dataclass(frozen=True)
class Database:
    """A service's own user and database(s) on an RDS instance of its engine."""

    engine: Engine
    user: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class OidcClientSpec:
    """An OIDC client of Keycloak's platform realm that the service logs users in with."""

    display_name: str
    redirect_path: str


@dataclass(frozen=True)
class HaShape:
    """Where the service's chart keeps its replica count and zone spread, and the labels it puts on the pods
    (prod HA: the builder sets replicas and spread at these paths; tests/hardening checks it does)."""

    replicas: str  # dotted path in the chart's values
    spread: str  # dotted path of topologySpreadConstraints (or `affinity` where the chart has only that)
    # Labels the chart puts on the service's pods (from its templates); selectors must be a subset.
    # None: the chart renders the selector itself (a templated string), nothing to compare.
    pod_labels: dict[str, str] | None


@dataclass(frozen=True)
class ServiceSpec:
    """What the platform knows of one service: its chart, where it runs, what it stores and how it is reached."""

    name: str  # the settings key (`services.<name>`) and the component's name
    title: str  # for people: settings docs, README
    chart: ChartPin  # the pinned chart (domain.versions.CHARTS lists it with the platform's other charts)
    namespace: str
    service: str  # the Kubernetes Service clients call
    service_port: int
    container_port: int  # what the Service targets (NetworkPolicies, ALB target groups)
    local_port: int  # `kubectl port-forward` local port, also its URL without an ingress
    url_path: str  # path of its UI/API under the base URL
    health_check_path: str  # for the ALB target group
    dedicated_pool: str  # the pool it runs on by default when the stack has one
    database: Database
    bucket: bool  # an S3 bucket of its own (named after the service), with an IRSA role
    ha: HaShape
    pss_level: Literal["restricted", "baseline"] = "restricted"
    team_client: bool = False  # pipelines in team namespaces call it
    oidc_client: OidcClientSpec | None = None
    # Does the chart render a PodDisruptionBudget itself? If not, the builder adds one.
    chart_pdb: bool = False
    # The images the program sets for it, by domain.versions.IMAGES name (each pin records its date, source
    # and digest; an image the chart also sets must be the chart's default unless the pin says why not).
    images: dict[str, ImagePin] = field(default_factory=dict)

    @property
    def port_forward(self) -> str:
        return f"kubectl -n {self.namespace} port-forward svc/{self.service} {self.local_port}:{self.service_port}"

    @property
    def local_url(self) -> str:
        return f"http://localhost:{self.local_port}"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        name="keycloak", title="Keycloak (identity provider, the platform realm)",
        chart=ChartPin("keycloakx", "7.1.11", "https://codecentric.github.io/helm-charts", "26.5.6",
                       "2026-04-21", "codecentric/helm-charts 15f09f3 (chart version 7.1.11)"),
        namespace="keycloak", service="keycloak-http", service_port=80, container_port=8080, local_port=8080,
        url_path="/auth/", health_check_path="/auth/realms/master", dedicated_pool="auth",
        ha=HaShape("replicas", "topologySpreadConstraints", None),
        database=Database("postgres", "keycloak", ("keycloak",)), bucket=False, chart_pdb=True,
        images={
            "keycloak": ImagePin(
                "quay.io/keycloak/keycloak:26.5.6", "2026-04-08",
                "codecentric/helm-charts 887ac4f (Keycloak update from 26.5.5 to 26.5.6)", chart="keycloakx"),
            # keycloak-config-cli applies the platform realm to the running Keycloak; its build targets a Keycloak
            # release of the same minor (6.5.0 is published for 26.5.4, adorsys/keycloak-config-cli
            # .github/workflows/ci.yaml at v6.5.0; the admin API does not change within a minor).
            "keycloak-config-cli": ImagePin("docker.io/adorsys/keycloak-config-cli:6.5.0-26.5.4", "2026-03-12",
                                            "adorsys/keycloak-config-cli CHANGELOG.md, tag v6.5.0"),
        }),
    ServiceSpec(
        name="mlflow", title="MLflow tracking server",
        chart=ChartPin("mlflow", "1.11.5", "https://community-charts.github.io/helm-charts", "3.15.1",
                       "2026-08-21", "community-charts/helm-charts 9d23d00 (chart version 1.11.5)"),
        namespace="mlflow", service="mlflow", service_port=80, container_port=5000, local_port=5000,
        url_path="/", health_check_path="/health", dedicated_pool="mlops",
        ha=HaShape("replicaCount", "affinity", {"app": "mlflow", "app.kubernetes.io/name": "mlflow",
                                                       "app.kubernetes.io/instance": "mlflow"}),
        database=Database("postgres", "mlflow", ("mlflow", "mlflow_auth")), bucket=True, team_client=True,
        # Ready for MLflow's oidc-auth plugin, which the chart makes exclusive with basic auth.
        oidc_client=OidcClientSpec("MLflow", "/callback"),
        images={"mlflow": ImagePin(
            "docker.io/burakince/mlflow:3.15.1", "2026-08-07",
            "community-charts/helm-charts 6361e8d (Update mlflow chart to 3.15.1)", chart="mlflow")}),
    ServiceSpec(
        name="zenml", title="ZenML server",
        # Since zenml-io/zenml#4637 the chart's top-level values key is `server:` (`zenml:` still merges).
        chart=ChartPin("zenml", "0.98.0", "oci://public.ecr.aws/zenml/zenml", "0.98.0",
                       "2026-10-13", "zenml 0.98.0 wheel on PyPI: migration 0.98.0_release.py Create Date",
                       values_unverified="key skeleton is 0.74.0's with zenml: renamed server: (zenml-io/zenml#4637); "
                                         "render with `helm template` of 0.98.0 before the first up"),
        namespace="zenml", service="zenml", service_port=80, container_port=8080, local_port=8081,
        url_path="/", health_check_path="/health", dedicated_pool="mlops",
        ha=HaShape("server.replicaCount", "affinity",
                   {"app.kubernetes.io/name": "zenml", "app.kubernetes.io/instance": "zenml"}),
        database=Database("mysql", "zenml", ("zenml",)), bucket=True, team_client=True,
        images={"zenml-server": ImagePin(
            "docker.io/zenmldocker/zenml-server:0.98.0", "2026-10-13",
            "zenml 0.98.0 wheel on PyPI: migration 0.98.0_release.py Create Date", chart="zenml")}),
    ServiceSpec(
        name="lakefs", title="lakeFS data versioning",
        chart=ChartPin("lakefs", "1.12.16", "https://charts.lakefs.io", "1.97.0",
                       "2026-07-23", "treeverse/charts 39e2645 (chart version 1.12.16)"),
        namespace="lakefs", service="lakefs", service_port=80, container_port=8000, local_port=8000,
        url_path="/", health_check_path="/_health", dedicated_pool="mlops",
        ha=HaShape("replicaCount", "topologySpreadConstraints",
                   {"app": "lakefs", "app.kubernetes.io/name": "lakefs", "app.kubernetes.io/instance": "lakefs"}),
        database=Database("postgres", "lakefs", ("lakefs",)), bucket=True, pss_level="baseline", team_client=True,
        images={
            # Not the chart's appVersion (1.97.0): since chart 1.9.0 the community and Enterprise images have their
            # own tags (treeverse/charts#391/#392) and appVersion moves with either. Chart 1.12.14 was released for
            # lakeFS 1.84.0 (treeverse/charts c21d676); 1.12.15 and 1.12.16 changed replication and Enterprise only.
            "lakefs": ImagePin("docker.io/treeverse/lakefs:1.84.0", "2026-07-22",
                               "treeverse/lakeFS#10495 (CHANGELOG for v1.84.0, after the release)", chart="lakefs"),
        }),
)

SERVICE_BY_NAME: dict[str, ServiceSpec] = {s.name: s for s in SERVICES}
SERVICE_NAMES: tuple[str, ...] = tuple(SERVICE_BY_NAME)
# Namespaces the services own (one per service, plus the database bootstrap namespace).
SERVICE_NAMESPACES: tuple[str, ...] = (*(s.namespace for s in SERVICES), BOOTSTRAP_NAMESPACE)


def service_spec(name: str) -> ServiceSpec:
    try:
        return SERVICE_BY_NAME[name]
    except KeyError:
        raise KeyError(f"no service named {name!r} in domain.services.SERVICES ({', '.join(SERVICE_NAMES)})") from None
