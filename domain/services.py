"""The MLOps services of the platform, each declared once.

Every table about the services is derived from `SERVICES`: the settings fields (`services.<name>`),
the namespaces the platform reserves, the monitoring dashboard's namespaces, the database engines and
instances, the buckets, the OIDC clients, the port-forward commands and the pools a service prefers.
Adding a Helm service means one `ServiceSpec` here and one builder module `components/services/<name>.py`
(whose `COMPONENT` the services layer builds), plus its test and README lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
class ServiceSpec:
    """What the platform knows of one service: its chart, where it runs, what it stores and how it is reached."""

    name: str  # the settings key (`services.<name>`) and the component's name
    title: str  # for people: settings docs, README
    chart: str  # key of `domain.versions.CHARTS`
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
    pss_level: Literal["restricted", "baseline"] = "restricted"
    team_client: bool = False  # pipelines in team namespaces call it
    oidc_client: OidcClientSpec | None = None
    # Does the chart render a PodDisruptionBudget itself? If not, the builder adds one.
    chart_pdb: bool = False

    @property
    def port_forward(self) -> str:
        return f"kubectl -n {self.namespace} port-forward svc/{self.service} {self.local_port}:{self.service_port}"

    @property
    def local_url(self) -> str:
        return f"http://localhost:{self.local_port}"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        name="keycloak", title="Keycloak (identity provider, the platform realm)", chart="keycloakx",
        namespace="keycloak", service="keycloak-http", service_port=80, container_port=8080, local_port=8080,
        url_path="/auth/", health_check_path="/auth/realms/master", dedicated_pool="auth",
        database=Database("postgres", "keycloak", ("keycloak",)), bucket=False, chart_pdb=True),
    ServiceSpec(
        name="mlflow", title="MLflow tracking server", chart="mlflow",
        namespace="mlflow", service="mlflow", service_port=80, container_port=5000, local_port=5000,
        url_path="/", health_check_path="/health", dedicated_pool="mlops",
        database=Database("postgres", "mlflow", ("mlflow", "mlflow_auth")), bucket=True, team_client=True,
        # Ready for MLflow's oidc-auth plugin, which the chart makes exclusive with basic auth.
        oidc_client=OidcClientSpec("MLflow", "/callback")),
    ServiceSpec(
        name="zenml", title="ZenML server", chart="zenml",
        namespace="zenml", service="zenml", service_port=80, container_port=8080, local_port=8081,
        url_path="/", health_check_path="/health", dedicated_pool="mlops",
        database=Database("mysql", "zenml", ("zenml",)), bucket=True, team_client=True),
    ServiceSpec(
        name="lakefs", title="lakeFS data versioning", chart="lakefs",
        namespace="lakefs", service="lakefs", service_port=80, container_port=8000, local_port=8000,
        url_path="/", health_check_path="/_health", dedicated_pool="mlops",
        database=Database("postgres", "lakefs", ("lakefs",)), bucket=True, pss_level="baseline", team_client=True),
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
