"""All MLOps services of a stack and the storage they share.

Database layout (`services.database.layout`):
- shared (default): one PostgreSQL instance for Keycloak, MLflow and lakeFS, one MySQL 8 instance for
  ZenML (the only MySQL user). Three apps' metadata is small and low-traffic; one Multi-AZ instance
  in prod costs a third of three, and isolation is kept where it matters: every app has its own
  database and its own user, and other users lose CONNECT on it. The shared blast radius
  (maintenance, an overloaded or failed instance) is accepted for these control-plane services.
- per_service: one instance per service, for stacks that want failure and maintenance isolation
  (or per-app sizing) at roughly 3x the PostgreSQL cost.

Grafana (observability layer) keeps its state in a `grafana` database and user of its own on a
PostgreSQL instance of this layer (`grafana_database`): the shared one, or in per_service layout
Keycloak's (Grafana logs in through Keycloak anyway), else MLflow's, else lakeFS's.

Two phases, so that the monitoring stack can sit between them: the constructor builds the shared
storage (KMS key, RDS instances, bootstrap namespace) and the ALB controller; `deploy_services` then
builds the services, whose ServiceMonitors wait for the monitoring release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import OidcIdentity
from components.identity import OidcClient
from components.ingress import LoadBalancerController
from components.namespace import PlatformNamespace
from components.storage import AccessLogBucket, DatabaseConnection, DataKey, RdsInstance, bucket_name, rds_identifier
from components.storage.database import Engine
from domain.settings import PlatformSettings
from domain.settings.services import SERVICE_ENGINES, RestoreSettings, ServicesSettings

from .common import DatabaseServer, ServiceContext, opaque_secret
from .database_bootstrap import AppDatabase
from .keycloak import Keycloak, public_base_url, realm_url
from .lakefs import Lakefs
from .mlflow import Mlflow
from .zenml import Zenml

BOOTSTRAP_NAMESPACE = "platform-db"  # also in domain.settings.services.SERVICE_NAMESPACES
GRAFANA_DB_USER = GRAFANA_DB_NAME = "grafana"
# How to reach each service without an ingress: `kubectl -n <ns> port-forward svc/<svc> <local>:<port>`.
PORT_FORWARDS: dict[str, tuple[str, str, int, int, str]] = {
    # service: (namespace, Service, local port, Service port, path)
    "keycloak": ("keycloak", "keycloak-http", 8080, 80, "/auth/"),
    "mlflow": ("mlflow", "mlflow", 5000, 80, "/"),
    "zenml": ("zenml", "zenml", 8081, 80, "/"),
    "lakefs": ("lakefs", "lakefs", 8000, 80, "/"),
}


@dataclass(frozen=True)
class InstancePlan:
    name: str  # instance key, also the suffix of its RDS identifier
    engine: Engine
    services: tuple[str, ...]


def database_plan(services: ServicesSettings) -> list[InstancePlan]:
    """Which RDS instances exist and which enabled services each one serves."""
    enabled = services.enabled_services
    if services.database.layout == "per_service":
        return [InstancePlan(s, SERVICE_ENGINES[s], (s,)) for s in enabled]
    plans = []
    for engine in ("postgres", "mysql"):
        users = tuple(s for s in enabled if SERVICE_ENGINES[s] == engine)
        if users:
            plans.append(InstancePlan(engine, engine, users))
    return plans


def grafana_database_instance(platform: PlatformSettings) -> str | None:
    """The instance (a `database_plan` name) that holds Grafana's database, or None (Grafana on SQLite)."""
    if platform.observability.grafana.database != "postgres":
        return None
    return next((plan.name for plan in database_plan(platform.services) if plan.engine == "postgres"), None)


def service_url(platform: PlatformSettings, service: str) -> str:
    ingress = platform.services.service(service).ingress
    if ingress.enabled:
        return ingress.url + ("/auth/" if service == "keycloak" else "/")
    _, _, local, _, path = PORT_FORWARDS[service]
    return f"http://localhost:{local}{path}"


def port_forward_command(service: str) -> str:
    namespace, svc, local, port, _ = PORT_FORWARDS[service]
    return f"kubectl -n {namespace} port-forward svc/{svc} {local}:{port}"


class PlatformServices(pulumi.ComponentResource):
    """Keycloak, MLflow, ZenML and lakeFS (each optional) on shared KMS, RDS and bootstrap namespace.

    Exposes `keycloak`, `mlflow`, `zenml`, `lakefs` (None when disabled, and until `deploy_services`),
    `ingress_controller` (also for Grafana's ingress), `databases` (instance name -> RdsInstance) and
    `outputs` (plain, non-secret stack outputs).
    """

    def __init__(self, name: str, settings: PlatformSettings, *, oidc: OidcIdentity,
                 vpc_id: pulumi.Input[str], vpc_cidr: str, private_subnet_ids: Sequence[pulumi.Input[str]],
                 node_security_group_id: pulumi.Input[str], node_groups: Mapping[str, Sequence[pulumi.Resource]],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:services:PlatformServices", name, None, opts)
        services = settings.services
        self._name, self._settings, self._node_groups = name, settings, node_groups
        self._oidc, self._vpc_cidr = oidc, vpc_cidr
        self.keycloak: Keycloak | None = None
        self.mlflow: Mlflow | None = None
        self.zenml: Zenml | None = None
        self.lakefs: Lakefs | None = None
        self.ingress_controller: LoadBalancerController | None = None
        self.databases: dict[str, RdsInstance] = {}
        # Instances a restore has replaced (kept until removed by hand, see the README's restore runbook).
        self.replaced_databases: dict[str, RdsInstance] = {}
        self.outputs: dict[str, pulumi.Input[object]] = {}
        self._servers: dict[str, DatabaseServer] = {}  # by service
        self._instance_servers: dict[str, DatabaseServer] = {}  # by instance name
        self._bootstrap_ready: list[pulumi.Resource] = []
        self._account_id: pulumi.Output[str] | None = None
        needs_controller = services.any_ingress or settings.observability.grafana.ingress.enabled
        if not services.enabled_services and not needs_controller:
            return

        child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self._account_id = account_id
        if services.enabled_services:
            self._storage(name, vpc_id, private_subnet_ids, node_security_group_id, account_id)
        if needs_controller:
            self.ingress_controller = LoadBalancerController(
                f"{name}-alb-controller", settings, oidc=oidc, vpc_id=vpc_id, account_id=account_id,
                depends_on=list(node_groups.get(settings.system_pool.name, ())), opts=child)

    def _storage(self, name: str, vpc_id: pulumi.Input[str], private_subnet_ids: Sequence[pulumi.Input[str]],
                 node_security_group_id: pulumi.Input[str], account_id: pulumi.Output[str]) -> None:
        """KMS key, bootstrap namespace, RDS instances and their master-credential Secrets."""
        settings, services = self._settings, self._settings.services
        child = pulumi.ResourceOptions(parent=self)
        protect = settings.protect_stateful_resources
        self.data_key = DataKey(f"{name}-data-key", alias=f"{settings.cluster_name}-services-data",
                                account_id=account_id, protect=protect, opts=child)

        self.access_logs = AccessLogBucket(
            f"{name}-access-logs", account_id=account_id, retention_days=settings.cluster.log_retention_days,
            bucket=account_id.apply(lambda account: bucket_name(settings.cluster_name, "access-logs", account,
                                                                settings.region)),
            protect=protect, opts=child)
        bootstrap_ns = PlatformNamespace(f"{name}-db-bootstrap-ns", BOOTSTRAP_NAMESPACE, pss_level="restricted",
                                         opts=child)
        bootstrap_ready = self._bootstrap_ready
        bootstrap_ready.append(bootstrap_ns)
        for plan in database_plan(services):
            def rds(key: str, engine: Engine, restore: RestoreSettings | None = None, source: str = "",
                    retiring: bool = False) -> RdsInstance:
                return RdsInstance(
                    f"{name}-{key}-db", engine=engine, identifier=rds_identifier(settings.cluster_name, key),
                    settings=services.database, vpc_id=vpc_id, subnet_ids=private_subnet_ids,
                    client_security_group_id=node_security_group_id, kms_key_arn=self.data_key.arn, protect=protect,
                    log_retention_days=settings.cluster.log_retention_days, restore=restore,
                    source_identifier=source, retiring=retiring, opts=child)

            restore = services.database.restore_of(plan.name)
            original = restore.original if restore is not None else "keep"
            instance: RdsInstance | None = None
            if original != "delete":
                instance = rds(plan.name, plan.engine, retiring=original == "unprotect")
            if restore is not None:
                # A restore is a new instance next to the original, which stays as it is (protected) until
                # retired; the services, their master-credential Secret and the outputs move to the new one.
                if instance is not None:
                    self.replaced_databases[plan.name] = instance
                instance = rds(f"{plan.name}-{restore.suffix}", plan.engine, restore,
                               source=rds_identifier(settings.cluster_name, plan.name))
            assert instance is not None
            self.databases[plan.name] = instance
            master_secret = f"{plan.name}-master"
            bootstrap_ready.append(opaque_secret(
                f"{name}-{plan.name}-master", master_secret, BOOTSTRAP_NAMESPACE,
                {"username": instance.master_username, "password": instance.master_password},
                parent=self, depends_on=[bootstrap_ns]))
            self._instance_servers[plan.name] = DatabaseServer(instance, master_secret)
            for service in plan.services:
                self._servers[service] = self._instance_servers[plan.name]

    @property
    def account_id(self) -> pulumi.Output[str] | None:
        return self._account_id

    def data_arns(self) -> list[pulumi.Output[str]]:
        """ARNs of the data to back up: every RDS instance (a restore's original too) and service bucket."""
        instances = [*self.databases.values(), *self.replaced_databases.values()]
        buckets = [c.bucket for c in (self.mlflow, self.zenml, self.lakefs) if c is not None]
        return [i.arn for i in instances] + [b.arn for b in buckets]

    def grafana_database(self) -> DatabaseConnection | None:
        """Grafana's `grafana` database and user on a PostgreSQL instance of this layer, made by a bootstrap
        Job on the monitoring pool (so the monitoring release waits for no other pool); None when the
        stack has no PostgreSQL instance or Grafana is set to SQLite."""
        instance = grafana_database_instance(self._settings)
        if instance is None or instance not in self._instance_servers:
            return None
        pool_name = self._settings.observability.pool
        pool = self._settings.pool(pool_name)
        if pool is None:  # settings validation rejects this first
            raise ValueError(f"observability.pool '{pool_name}' is not an enabled node pool")
        database = AppDatabase(
            f"{self._name}-grafana-db", server=self._instance_servers[instance], user=GRAFANA_DB_USER,
            databases=[GRAFANA_DB_NAME], namespace=BOOTSTRAP_NAMESPACE, placement=pool.placement,
            prerequisites=self._bootstrap_ready, depends_on=list(self._node_groups.get(pool_name, ())),
            opts=pulumi.ResourceOptions(parent=self))
        return database.connection()

    def deploy_services(self, oidc_clients: Mapping[str, OidcClient],
                        monitoring_depends_on: Sequence[pulumi.Resource] = ()) -> None:
        """Keycloak, MLflow, ZenML and lakeFS on the storage built by the constructor, and the outputs.

        `oidc_clients` are imported into Keycloak's realm; `monitoring_depends_on` is what a release with
        ServiceMonitors waits for (the Prometheus Operator CRDs)."""
        settings, services, name = self._settings, self._settings.services, self._name
        enabled = services.enabled_services
        if not enabled:
            self.register_outputs({})
            return
        child = pulumi.ResourceOptions(parent=self)
        assert self._account_id is not None
        controller = self.ingress_controller.release if self.ingress_controller is not None else None
        ctx = ServiceContext(platform=settings, oidc=self._oidc, account_id=self._account_id,
                             data_key_arn=self.data_key.arn, vpc_cidr=self._vpc_cidr,
                             bootstrap_namespace=BOOTSTRAP_NAMESPACE, bootstrap_ready=self._bootstrap_ready,
                             databases=self._servers, node_groups=self._node_groups, ingress_controller=controller,
                             monitoring=list(monitoring_depends_on), access_log_bucket=self.access_logs.name)
        if "keycloak" in enabled:
            self.keycloak = Keycloak(f"{name}-keycloak", ctx, oidc_clients, opts=child)
        if "mlflow" in enabled:
            self.mlflow = Mlflow(f"{name}-mlflow", ctx, opts=child)
        if "zenml" in enabled:
            self.zenml = Zenml(f"{name}-zenml", ctx, opts=child)
        if "lakefs" in enabled:
            self.lakefs = Lakefs(f"{name}-lakefs", ctx, opts=child)

        buckets = {s: c.bucket.name for s, c in (("mlflow", self.mlflow), ("zenml", self.zenml),
                                                   ("lakefs", self.lakefs)) if c is not None}
        self.outputs = {
            "serviceUrls": {s: service_url(settings, s) for s in enabled},
            "serviceBuckets": buckets,
            "serviceDatabases": {n: i.address for n, i in self.databases.items()},
        }
        if self.keycloak is not None:
            self.outputs["keycloakIssuerUrl"] = realm_url(public_base_url(settings), services.keycloak.realm)
        self.register_outputs(self.outputs)
