"""MLOps services settings (Keycloak, MLflow, ZenML, lakeFS) and the storage under them.

Config lives under `mlplatform:services`, for example:

    mlplatform:services:
      keycloak:
        pool: auth                       # default: an `auth` pool if configured, else `cpu`
        ingress: {enabled: true, host: id.example.com, certificateArn: arn:aws:acm:...}
      mlflow: {replicas: 2}
      zenml: {enabled: false}
      database: {layout: per_service}    # default: shared (one PostgreSQL instance + one MySQL)

Defaults that differ per environment (instance class, backup retention, Multi-AZ, replicas) come from
environments.py, merged in before validation, so a stack only sets overrides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import Field, create_model, field_validator, model_validator

from domain.services import DEFAULT_POOL, SERVICE_NAMES, SERVICES, ServiceSpec, service_spec

from .base import Settings, check_cidrs, check_pattern
from .node_pools import NodePoolSettings

# Stateful, long-running services must not sit on interruptible, GPU, system or monitoring nodes.
FORBIDDEN_POOL_KINDS = ("gpu", "spot", "system", "monitoring")

_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_URL = re.compile(r"^https?://[^\s/]+(/[^\s]*)?$")
_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9]+\.[a-z0-9]+$")


class Named(Protocol):
    @property
    def name(self) -> str: ...


class ServicesPlatform(Protocol):
    """What the services' lookups and checks read of the platform (PlatformSettings is one)."""

    @property
    def project(self) -> str: ...
    @property
    def is_production(self) -> bool: ...
    @property
    def pools(self) -> list[NodePoolSettings]: ...
    @property
    def teams(self) -> Sequence[Named]: ...
    def pool(self, name: str) -> NodePoolSettings | None: ...


PROD_MIN_BACKUP_DAYS = 7


class IngressSettings(Settings):
    """An ALB Ingress for one service (HTTPS only, certificate from ACM). Off by default."""

    enabled: bool = Field(default=False, description="Expose it through an HTTPS ALB Ingress (otherwise: kubectl port-forward).")
    host: str = Field(default="", description="DNS host name of the ingress.")
    certificate_arn: str = Field(default="", description="ACM certificate (in the stack's region) that covers host.")
    scheme: Literal["internal", "internet-facing"] = Field(default="internal", description="internal (reachable from the VPC) or internet-facing (restrict allowedCidrs).")
    allowed_cidrs: list[str] = Field(default_factory=list, description="CIDRs allowed to reach the load balancer; empty: anyone who can route to it.")

    @field_validator("host")
    @classmethod
    def _valid_host(cls, value: str) -> str:
        return check_pattern(value, _HOST, "a DNS host name", "use a lowercase name such as mlflow.example.com.")

    @field_validator("certificate_arn")
    @classmethod
    def _valid_arn(cls, value: str) -> str:
        if value and not _ACM_ARN.match(value):
            raise ValueError(
                f"'{value}' is not an ACM certificate ARN. Fix: use arn:aws:acm:<region>:<account-id>:certificate/<id> "
                "of a certificate that covers the host, in the stack's region.")
        return value

    @field_validator("allowed_cidrs")
    @classmethod
    def _valid_cidrs(cls, value: list[str]) -> list[str]:
        return check_cidrs(value)

    @model_validator(mode="after")
    def _complete(self) -> IngressSettings:
        if self.enabled and not (self.host and self.certificate_arn):
            raise ValueError("an enabled ingress needs both host and certificateArn. Fix: set them, or set enabled to false "
                             "and use kubectl port-forward.")
        return self

    @property
    def url(self) -> str:
        return f"https://{self.host}"


class ServiceSettings(Settings):
    enabled: bool = Field(default=True, description="Deploy the service.")
    pool: str = Field(default="", description="Node pool it runs on; empty: its dedicated pool (auth or mlops) if configured, else cpu.")
    replicas: int = Field(default=2, ge=1, le=10, description="Pod replicas; prod needs 2 or more (with a PodDisruptionBudget and zone spread).")
    ingress: IngressSettings = Field(default_factory=IngressSettings, description="ALB Ingress of the service.")
    allow_from_namespaces: list[str] = Field(default_factory=list, description="Namespaces besides monitoring and the ALB (and every team, for MLflow, ZenML and lakeFS) allowed to call it.")

    @field_validator("allow_from_namespaces")
    @classmethod
    def _valid_namespaces(cls, value: list[str]) -> list[str]:
        bad = [ns for ns in value if not _NAMESPACE.match(ns)]
        if bad:
            raise ValueError(f"{bad} are not namespace names. Fix: use lowercase DNS labels such as team-a.")
        return value


class KeycloakSettings(ServiceSettings):
    realm: str = Field(default="platform", description="Keycloak realm of the platform's users and OIDC clients (not master).")
    grafana_url: str = Field(default="", description="Browser URL of Grafana for its OIDC redirect; empty: Grafana's ingress URL, else http://localhost:3000.")

    @field_validator("realm")
    @classmethod
    def _valid_realm(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,35}", value) or value == "master":
            raise ValueError(f"'{value}' is not a usable realm name. Fix: use lowercase letters, digits and '-', not 'master'.")
        return value

    @field_validator("grafana_url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        if value and not _URL.match(value):
            raise ValueError(f"'{value}' is not a URL. Fix: use the URL users open Grafana at, e.g. https://grafana.example.com.")
        return value.rstrip("/")


_SNAPSHOT = re.compile(r"^(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:snapshot:)?[a-zA-Z][a-zA-Z0-9:-]{0,254}$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class RestoreSettings(Settings):
    """Restore one database instance as a new instance; the services move to it, the original is kept."""

    instance: str = Field(description="The instance to restore: postgres or mysql (layout shared), or the service "
                                      "name (layout per_service).")
    snapshot: str = Field(default="", description="DB snapshot identifier or ARN to restore from (manual, "
                                                  "automated, or copied by AWS Backup).")
    point_in_time: str = Field(
        default="", description="Restore the instance as it was at this UTC time (RFC 3339, e.g. "
                                "2026-11-30T08:15:00Z), or 'latest' for the latest restorable time.")
    generation: int = Field(default=1, ge=1, le=99,
                            description="Suffix of the new instance's identifier (-r<generation>); raise it to "
                                        "restore the same instance again.")
    original: Literal["keep", "unprotect", "delete"] = Field(
        default="keep",
        description="The instance the restore replaces: keep (protected, as it was), unprotect (deletable, with a "
                    "final snapshot), then delete (removed by the next up; its final snapshot stays).")

    @field_validator("snapshot")
    @classmethod
    def _valid_snapshot(cls, value: str) -> str:
        if value and not _SNAPSHOT.match(value):
            raise ValueError(f"'{value}' is not an RDS snapshot identifier or ARN. Fix: use the identifier shown by "
                             "`aws rds describe-db-snapshots`, or its ARN.")
        return value

    @field_validator("point_in_time")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        if value and value != "latest" and not _RFC3339.match(value):
            raise ValueError(f"'{value}' is not a UTC time. Fix: use RFC 3339 such as 2026-11-30T08:15:00Z, or 'latest'.")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> RestoreSettings:
        if bool(self.snapshot) == bool(self.point_in_time):
            raise ValueError("set exactly one of snapshot and pointInTime. Fix: keep one of them.")
        return self

    @property
    def suffix(self) -> str:
        return f"r{self.generation}"


class DatabaseSettings(Settings):
    layout: Literal["shared", "per_service"] = Field(default="shared", description="shared: one PostgreSQL (Keycloak, MLflow, lakeFS) and one MySQL (ZenML) instance, a database and user per app; per_service: an instance per service.")
    instance_class: str = Field(default="db.m7g.large", description="RDS instance class of every database instance.")
    allocated_storage_gib: int = Field(default=20, ge=20, le=65536, description="Initial gp3 storage per instance.")
    max_allocated_storage_gib: int = Field(default=100, ge=20, le=65536, description="Storage autoscaling ceiling per instance.")
    backup_retention_days: int = Field(default=30, ge=1, le=35, description="Days of automated backups; prod keeps 7 or more.")
    multi_az: bool = Field(default=True, description="Multi-AZ standby; required in prod.")
    performance_insights: bool = Field(default=True, description="RDS Performance Insights (not offered on db.t4g.micro and db.t4g.small).")
    restores: list[RestoreSettings] = Field(
        default_factory=list,
        description="Database restores: each creates a new instance from a snapshot or a point in time and moves "
                    "the services to it; the original instance stays, protected, until retired (`original`).")

    @field_validator("instance_class")
    @classmethod
    def _valid_class(cls, value: str) -> str:
        if not _INSTANCE_CLASS.match(value):
            raise ValueError(f"'{value}' is not an RDS instance class. Fix: use a class such as db.t4g.small or db.m7g.large.")
        return value

    @model_validator(mode="after")
    def _storage_range(self) -> DatabaseSettings:
        if self.max_allocated_storage_gib < self.allocated_storage_gib:
            raise ValueError("maxAllocatedStorageGib is below allocatedStorageGib. Fix: raise maxAllocatedStorageGib.")
        return self

    def restore_of(self, instance: str) -> RestoreSettings | None:
        return next((r for r in self.restores if r.instance == instance), None)


class BucketSettings(Settings):
    noncurrent_version_days: int = Field(default=30, ge=1, le=3650, description="Days old object versions (overwritten or deleted) are kept before they expire.")
    abort_incomplete_upload_days: int = Field(default=7, ge=1, le=365, description="Days before an unfinished multipart upload is cleaned up.")


# Settings model of each service that has settings of its own (the others take ServiceSettings).
SERVICE_SETTINGS_MODELS: dict[str, type[ServiceSettings]] = {"keycloak": KeycloakSettings}


class _ServiceFields(Settings):
    """Keycloak's field, typed: the identity layer reads its realm and URLs."""

    keycloak: KeycloakSettings = Field(default_factory=KeycloakSettings,
                                       description=service_spec("keycloak").title)


# One field per service of the catalog (domain/services.py), in catalog order: `services.<name>`.
_CATALOG_FIELDS: dict[str, Any] = {
    spec.name: (SERVICE_SETTINGS_MODELS.get(spec.name, ServiceSettings),
                Field(default_factory=SERVICE_SETTINGS_MODELS.get(spec.name, ServiceSettings), description=spec.title))
    for spec in SERVICES if spec.name != "keycloak"
}
_ServicesFromCatalog: Any = create_model("_ServicesFromCatalog", __base__=_ServiceFields, __module__=__name__,
                                         **_CATALOG_FIELDS)


class ServicesSettings(_ServicesFromCatalog):  # type: ignore[misc]
    database: DatabaseSettings = Field(default_factory=DatabaseSettings, description="RDS databases of the services.")
    buckets: BucketSettings = Field(default_factory=BucketSettings, description="S3 buckets of the services.")
    service_monitors: bool = Field(default=False, description="ServiceMonitors for the services' metrics (needs the Prometheus Operator CRDs).")

    # Lookups -----------------------------------------------------------------------------------------

    def service(self, name: str) -> ServiceSettings:
        service_spec(name)  # a clear error for a name that is not in the catalog
        setting: ServiceSettings = getattr(self, name)
        return setting

    @property
    def enabled_services(self) -> list[str]:
        return [n for n in SERVICE_NAMES if self.service(n).enabled]

    @property
    def any_ingress(self) -> bool:
        return any(self.service(n).ingress.enabled for n in self.enabled_services)

    def pool_name(self, name: str, platform: ServicesPlatform) -> str:
        """The pool a service runs on: the configured one, else its dedicated pool if it exists, else cpu."""
        configured = self.service(name).pool
        if configured:
            return configured
        dedicated = service_spec(name).dedicated_pool
        return dedicated if platform.pool(dedicated) is not None else DEFAULT_POOL

    def pool_for(self, name: str, platform: ServicesPlatform) -> NodePoolSettings:
        pool = platform.pool(self.pool_name(name, platform))
        if pool is None:
            raise KeyError(f"services.{name}: pool {self.pool_name(name, platform)!r} does not exist")
        return pool

    def client_namespaces(self, name: str, platform: ServicesPlatform) -> list[str]:
        """Namespaces (besides monitoring) allowed to call a service: configured ones, plus every team's."""
        teams = [t.name for t in platform.teams] if service_spec(name).team_client else []
        return list(dict.fromkeys([*self.service(name).allow_from_namespaces, *teams]))

    # Cross-section checks ------------------------------------------------------------------------------

    def database_instances(self) -> list[str]:
        """Names of the RDS instances: one per engine in use (shared), or one per service (per_service)."""
        enabled = self.enabled_services
        if self.database.layout == "per_service":
            return enabled
        return [e for e in ("postgres", "mysql") if any(service_spec(s).database.engine == e for s in enabled)]

    def restore_problems(self, ns: str) -> list[str]:
        instances = self.database_instances()
        problems = []
        for i, restore in enumerate(self.database.restores):
            if restore.instance not in instances:
                problems.append(f"{ns}.database.restores[{i}].instance: '{restore.instance}' is not a database instance "
                                f"of this stack. Fix: use one of {instances}.")
        names = [r.instance for r in self.database.restores]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.append(f"{ns}.database.restores: {dupes} restored twice. Fix: keep one restore per instance "
                            "(raise its generation to restore it again).")
        return problems

    def problems(self, platform: ServicesPlatform) -> list[str]:
        """Checks that need the rest of the platform's settings; each names its config key."""
        ns = f"{platform.project}:services"
        problems: list[str] = self.restore_problems(ns)
        for name in self.enabled_services:
            key = f"{ns}.{name}.pool"
            pool_name = self.pool_name(name, platform)
            pool = platform.pool(pool_name)
            available = [p.name for p in platform.pools if p.kind not in FORBIDDEN_POOL_KINDS and p.capacity_type != "SPOT"]
            if pool is None:
                origin = "is set to" if self.service(name).pool else "defaults to"
                problems.append(
                    f"{key}: {name} {origin} pool '{pool_name}', which is not an enabled node pool. "
                    f"Fix: set {key} to one of {available}, or add/enable a pool named '{pool_name}' in nodePools.")
            elif pool.kind in FORBIDDEN_POOL_KINDS or pool.capacity_type == "SPOT":
                what = "SPOT" if pool.capacity_type == "SPOT" and pool.kind not in FORBIDDEN_POOL_KINDS else pool.kind
                problems.append(
                    f"{key}: pool '{pool_name}' is a {what} pool; {name} is a stateful, long-running service and must "
                    f"not run on gpu, spot, system or monitoring nodes. Fix: set {key} to one of {available} "
                    "(or add a dedicated on-demand pool such as 'auth' or 'mlops').")
            if platform.is_production and self.service(name).replicas < 2:
                problems.append(
                    f"{ns}.{name}.replicas: prod runs every service with at least 2 replicas so that a node drain "
                    "does not take it down. Fix: set replicas to 2 or more (or remove the override).")
        if platform.is_production:
            db = self.database
            if not db.multi_az:
                problems.append(f"{ns}.database.multiAz: prod databases must be Multi-AZ to survive an AZ outage. "
                                "Fix: remove the override (it defaults to true in prod).")
            if db.backup_retention_days < PROD_MIN_BACKUP_DAYS:
                problems.append(f"{ns}.database.backupRetentionDays: prod keeps at least {PROD_MIN_BACKUP_DAYS} days of "
                                f"automated backups. Fix: set it to {PROD_MIN_BACKUP_DAYS} or more.")
        hosts = [(n, self.service(n).ingress.host) for n in self.enabled_services if self.service(n).ingress.enabled]
        seen: dict[str, str] = {}
        for name, host in hosts:
            if host in seen:
                problems.append(f"{ns}.{name}.ingress.host: '{host}' is also the host of {seen[host]}. "
                                "Fix: give every service its own host name.")
            seen.setdefault(host, name)
        for name in self.enabled_services:
            ingress = self.service(name).ingress
            if ingress.enabled and ingress.scheme == "internet-facing" and not ingress.allowed_cidrs and platform.is_production:
                problems.append(
                    f"{ns}.{name}.ingress.allowedCidrs: prod's internet-facing {name} ingress is open to 0.0.0.0/0. "
                    "Fix: list the CIDRs allowed to reach it, or use scheme: internal.")
        return problems


# The services layer's narrow settings ---------------------------------------------------------------

@dataclass(frozen=True)
class ServiceDeployment:
    """One enabled service resolved against the platform: where it runs, how many replicas, who may call it."""

    spec: ServiceSpec
    settings: ServiceSettings
    pool: str
    placement: dict[str, Any]
    replicas: int
    client_namespaces: tuple[str, ...]

    @property
    def url(self) -> str:
        """Where people open it: its ingress, else its port-forward address."""
        base = self.settings.ingress.url if self.settings.ingress.enabled else self.spec.local_url
        return base + self.spec.url_path

    @property
    def base_url(self) -> str:
        return self.settings.ingress.url if self.settings.ingress.enabled else self.spec.local_url


@dataclass(frozen=True)
class GrafanaDatabasePlacement:
    """Where Grafana's database bootstrap Job runs: the monitoring pool, so Grafana waits for no other pool."""

    pool: str
    placement: dict[str, Any]


@dataclass(frozen=True)
class ServicesLayerSettings:
    """Everything the services layer (components/services, the ALB controller, the OIDC clients) reads,
    resolved once from the platform's settings."""

    settings: ServicesSettings
    deployments: dict[str, ServiceDeployment]  # the enabled services, in catalog order
    cluster_name: str
    region: str
    protect: bool
    log_retention_days: int  # RDS log exports and S3 access logs are kept as long as the control-plane logs
    system_pool: str
    system_placement: dict[str, Any]
    grafana_ingress: IngressSettings
    grafana_database: GrafanaDatabasePlacement | None  # None: Grafana keeps its state in SQLite

    @property
    def needs_ingress_controller(self) -> bool:
        return self.settings.any_ingress or self.grafana_ingress.enabled

    def deployment(self, name: str) -> ServiceDeployment:
        try:
            return self.deployments[name]
        except KeyError:
            raise KeyError(f"services.{name} is not an enabled service ({', '.join(self.deployments)})") from None
