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

One build call: the shared storage (KMS key, RDS instances, bootstrap namespace), the ALB controller,
Grafana's database (`grafana_database`, for the monitoring stack built next), then every enabled service of
the catalog (domain/services.py) from its module's `COMPONENT`; their ServiceMonitors wait for the
Prometheus Operator CRDs only, never for the monitoring stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module

import pulumi
import pulumi_aws as aws

from components.iam import OidcIdentity
from components.identity import OidcClient
from components.ingress import LoadBalancerController
from components.namespace import PlatformNamespace
from components.storage import AccessLogBucket, DatabaseConnection, DataKey, RdsInstance, bucket_name, rds_identifier
from domain.services import BOOTSTRAP_NAMESPACE, SERVICES, Engine, ServiceSpec, service_spec
from domain.settings.services import RestoreSettings, ServicesLayerSettings, ServicesSettings

from .common import DatabaseServer, ServiceContext, opaque_secret
from .database_bootstrap import AppDatabase
from .keycloak import public_base_url, realm_url
from .recipe import HelmService

GRAFANA_DB_USER = GRAFANA_DB_NAME = "grafana"


@dataclass(frozen=True)
class InstancePlan:
    name: str  # instance key, also the suffix of its RDS identifier
    engine: Engine
    services: tuple[str, ...]


def database_plan(services: ServicesSettings) -> list[InstancePlan]:
    """Which RDS instances exist and which enabled services each one serves."""
    enabled = services.enabled_services
    engines = {s: service_spec(s).database.engine for s in enabled}
    if services.database.layout == "per_service":
        return [InstancePlan(s, engines[s], (s,)) for s in enabled]
    plans = []
    for engine in ("postgres", "mysql"):
        users = tuple(s for s in enabled if engines[s] == engine)
        if users:
            plans.append(InstancePlan(engine, engine, users))
    return plans


def grafana_database_instance(layer: ServicesLayerSettings) -> str | None:
    """The instance (a `database_plan` name) that holds Grafana's database, or None (Grafana on SQLite)."""
    if layer.grafana_database is None:
        return None
    return next((plan.name for plan in database_plan(layer.settings) if plan.engine == "postgres"), None)


def service_url(layer: ServicesLayerSettings, service: str) -> str:
    return layer.deployment(service).url


def port_forward_command(service: str) -> str:
    return service_spec(service).port_forward


def service_component(spec: ServiceSpec) -> type[HelmService]:
    """The builder of a service: `COMPONENT` of its module components/services/<name>.py."""
    component: type[HelmService] = import_module(f"{__package__}.{spec.name}").COMPONENT
    return component


class PlatformServices(pulumi.ComponentResource):
    """Every enabled MLOps service of the catalog on shared KMS, RDS and bootstrap namespace, in one call.

    Exposes `components` (service name -> its HelmService), `grafana_database` (Grafana's connection, or None),
    `ingress_controller` (also for Grafana's ingress), `databases` (instance name -> RdsInstance) and
    `outputs` (plain, non-secret stack outputs).
    """

    def __init__(self, name: str, layer: ServicesLayerSettings, *, oidc: OidcIdentity,
                 oidc_clients: Mapping[str, OidcClient], monitoring_crds: Sequence[pulumi.Resource],
                 vpc_id: pulumi.Input[str], vpc_cidr: str, private_subnet_ids: Sequence[pulumi.Input[str]],
                 node_security_group_id: pulumi.Input[str], node_groups: Mapping[str, Sequence[pulumi.Resource]],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:services:PlatformServices", name, None, opts)
        self._name, self._layer, self._node_groups = name, layer, node_groups
        self.components: dict[str, HelmService] = {}
        self.ingress_controller: LoadBalancerController | None = None
        self.databases: dict[str, RdsInstance] = {}
        # Instances a restore has replaced, until retired (restores[].original).
        self.replaced_databases: dict[str, RdsInstance] = {}
        self.account_id: pulumi.Output[str] | None = None
        self.outputs: dict[str, pulumi.Input[object]] = {}
        self._servers: dict[str, DatabaseServer] = {}  # by service
        self._instance_servers: dict[str, DatabaseServer] = {}  # by instance name
        self._bootstrap_ready: list[pulumi.Resource] = []
        enabled = list(layer.deployments)
        # Grafana's `grafana` database on a PostgreSQL instance of this layer; None: Grafana keeps SQLite.
        self.grafana_database: DatabaseConnection | None = None
        if not enabled and not layer.needs_ingress_controller:
            self.register_outputs({})
            return

        child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self.account_id = account_id
        if enabled:
            self._storage(name, vpc_id, private_subnet_ids, node_security_group_id, account_id)
        if layer.needs_ingress_controller:
            self.ingress_controller = LoadBalancerController(
                f"{name}-alb-controller", cluster_name=layer.cluster_name, region=layer.region,
                placement=layer.system_placement, oidc=oidc, vpc_id=vpc_id, account_id=account_id,
                depends_on=list(node_groups.get(layer.system_pool, ())), opts=child)
        controller = self.ingress_controller.release if self.ingress_controller is not None else None
        self.grafana_database = self._grafana_database()
        if not enabled:
            self.register_outputs({})
            return

        ctx = ServiceContext(layer=layer, oidc=oidc, account_id=account_id, data_key_arn=self.data_key.arn,
                             vpc_cidr=vpc_cidr, bootstrap_ready=self._bootstrap_ready, databases=self._servers,
                             node_groups=node_groups, ingress_controller=controller,
                             monitoring=list(monitoring_crds), oidc_clients=oidc_clients,
                             access_log_bucket=self.access_logs.name)
        for spec in SERVICES:
            if spec.name in layer.deployments:
                self.components[spec.name] = service_component(spec)(f"{name}-{spec.name}", ctx, opts=child)

        self.outputs = {
            "serviceUrls": {s: service_url(layer, s) for s in enabled},
            "serviceBuckets": {s: c.bucket.name for s, c in self.components.items() if c.bucket is not None},
            "serviceDatabases": {n: i.address for n, i in self.databases.items()},
        }
        if "keycloak" in self.components:
            self.outputs["keycloakIssuerUrl"] = realm_url(public_base_url(layer), layer.settings.keycloak.realm)
        self.register_outputs(self.outputs)

    def _storage(self, name: str, vpc_id: pulumi.Input[str], private_subnet_ids: Sequence[pulumi.Input[str]],
                 node_security_group_id: pulumi.Input[str], account_id: pulumi.Output[str]) -> None:
        """KMS key, bootstrap namespace, RDS instances and their master-credential Secrets."""
        layer = self._layer
        child = pulumi.ResourceOptions(parent=self)
        protect = layer.protect
        self.data_key = DataKey(f"{name}-data-key", alias=f"{layer.cluster_name}-services-data",
                                account_id=account_id, protect=protect, opts=child)

        self.access_logs = AccessLogBucket(
            f"{name}-access-logs", account_id=account_id, retention_days=layer.log_retention_days,
            bucket=account_id.apply(lambda account: bucket_name(layer.cluster_name, "access-logs", account,
                                                                layer.region)),
            protect=protect, opts=child)
        bootstrap_ns = PlatformNamespace(f"{name}-db-bootstrap-ns", BOOTSTRAP_NAMESPACE, pss_level="restricted",
                                         opts=child)
        bootstrap_ready = self._bootstrap_ready
        bootstrap_ready.append(bootstrap_ns)
        for plan in database_plan(layer.settings):
            def rds(key: str, engine: Engine, restore: RestoreSettings | None = None, source: str = "",
                    retiring: bool = False) -> RdsInstance:
                return RdsInstance(
                    f"{name}-{key}-db", engine=engine, identifier=rds_identifier(layer.cluster_name, key),
                    settings=layer.settings.database, vpc_id=vpc_id, subnet_ids=private_subnet_ids,
                    client_security_group_id=node_security_group_id, kms_key_arn=self.data_key.arn, protect=protect,
                    log_retention_days=layer.log_retention_days, restore=restore, source_identifier=source,
                    retiring=retiring, opts=child)

            restore = layer.settings.database.restore_of(plan.name)
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
                               source=rds_identifier(layer.cluster_name, plan.name))
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

    def data_arns(self) -> list[pulumi.Output[str]]:
        """ARNs of the data to back up: every RDS instance (a restore's original too) and service bucket."""
        instances = [*self.databases.values(), *self.replaced_databases.values()]
        buckets = [c.bucket for c in self.components.values() if c.bucket is not None]
        return [i.arn for i in instances] + [b.arn for b in buckets]

    def _grafana_database(self) -> DatabaseConnection | None:
        """Grafana's `grafana` database and user on a PostgreSQL instance of this layer, made by a bootstrap
        Job on the monitoring pool (so the monitoring release waits for no other pool); None when the
        stack has no PostgreSQL instance or Grafana is set to SQLite."""
        instance = grafana_database_instance(self._layer)
        where = self._layer.grafana_database
        if instance is None or where is None or instance not in self._instance_servers:
            return None
        database = AppDatabase(
            f"{self._name}-grafana-db", server=self._instance_servers[instance], user=GRAFANA_DB_USER,
            databases=[GRAFANA_DB_NAME], namespace=BOOTSTRAP_NAMESPACE, placement=where.placement,
            prerequisites=self._bootstrap_ready, depends_on=list(self._node_groups.get(where.pool, ())),
            opts=pulumi.ResourceOptions(parent=self))
        return database.connection()
