"""An RDS instance (PostgreSQL or MySQL) in the private subnets, reachable only from the cluster's nodes.

One component for both engines: the engine decides the port, the parameter group family and the
TLS enforcement parameter. Applications get their own database and user on top of it through the
bootstrap Job (components/services/database_bootstrap.py); the master credentials never leave the
bootstrap namespace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from domain.settings.services import DatabaseSettings, RestoreSettings
from domain.versions import DATABASE_ENGINES

from .names import bounded_name

Engine = Literal["postgres", "mysql"]
MAX_IDENTIFIER = 63
MASTER_USERNAME = "platform_admin"
BACKUP_WINDOW = "03:00-04:00"  # UTC, before the maintenance window
MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"


@dataclass(frozen=True)
class EngineSpec:
    engine: Engine
    port: int
    family: str
    # Parameters that force TLS for every client connection, and write the logs that are exported.
    parameters: tuple[tuple[str, str], ...]
    # Logs exported to CloudWatch (EnableCloudwatchLogsExports values of the RDS API for the engine).
    log_exports: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatabaseConnection:
    """How an application outside the services layer reaches its own database (Grafana): `host` is the RDS
    instance's address (an Output), `password` a pulumi_random result (a Pulumi secret). `ready`: what to
    wait for before connecting (the bootstrap Job that creates the database and user)."""

    engine: Engine
    host: pulumi.Input[str]
    port: int
    database: str
    user: str
    password: pulumi.Input[str]
    ready: Sequence[pulumi.Resource] = field(default_factory=tuple)


def engine_spec(engine: Engine) -> EngineSpec:
    """Port, parameter group family, TLS-only and logging parameters, and exported logs of an engine.

    RDS for PostgreSQL exports `postgresql` and `upgrade`; RDS for MySQL `error`, `general`, `slowquery`
    (API CreateDBInstance, EnableCloudwatchLogsExports). MySQL writes its slow query log only with
    slow_query_log on and log_output FILE. `require_secure_transport` takes 1 (ON) in RDS for MySQL 8.4
    parameter groups (RDS User Guide, "Requiring SSL/TLS for all connections to a MySQL DB instance").
    """
    version = DATABASE_ENGINES[engine]
    if engine == "postgres":
        return EngineSpec("postgres", 5432, f"postgres{version.split('.')[0]}", (("rds.force_ssl", "1"),),
                          log_exports=("postgresql", "upgrade"))
    return EngineSpec("mysql", 3306, f"mysql{version}",
                      (("require_secure_transport", "1"), ("slow_query_log", "1"), ("long_query_time", "2"),
                       ("log_output", "FILE")),
                      log_exports=("error", "slowquery"))


def log_group_names(identifier: str, spec: EngineSpec) -> list[str]:
    """The CloudWatch log groups RDS writes an instance's exported logs to."""
    return [f"/aws/rds/instance/{identifier}/{log}" for log in spec.log_exports]


def rds_identifier(cluster_name: str, name: str) -> str:
    """Letters, digits and single hyphens, starting with a letter, at most 63 characters."""
    identifier = bounded_name([cluster_name, name], MAX_IDENTIFIER)
    return identifier if identifier[0].isalpha() else f"db-{identifier}"[:MAX_IDENTIFIER].rstrip("-")


def final_snapshot_identifier(identifier: str) -> str:
    return bounded_name([identifier, "final"], 255)


def instance_args(spec: EngineSpec, settings: DatabaseSettings, protect: bool, retiring: bool = False) -> dict:
    """The size, safety and lifecycle arguments of aws.rds.Instance, as a pure function of settings."""
    return {
        "engine": spec.engine,
        "engine_version": DATABASE_ENGINES[spec.engine],
        "auto_minor_version_upgrade": True,
        "allow_major_version_upgrade": False,
        "instance_class": settings.instance_class,
        "allocated_storage": settings.allocated_storage_gib,
        "max_allocated_storage": settings.max_allocated_storage_gib,
        "storage_type": "gp3",
        "storage_encrypted": True,
        "multi_az": settings.multi_az,
        "publicly_accessible": False,
        "port": spec.port,
        "backup_retention_period": settings.backup_retention_days,
        "backup_window": BACKUP_WINDOW,
        "maintenance_window": MAINTENANCE_WINDOW,
        "copy_tags_to_snapshot": True,
        # Retiring (a restore's original, on its way out): deletable, but with a final snapshot and its backups.
        "delete_automated_backups": not (protect or retiring),
        "deletion_protection": protect and not retiring,
        "skip_final_snapshot": not (protect or retiring),
        "performance_insights_enabled": settings.performance_insights,
        "enabled_cloudwatch_logs_exports": list(spec.log_exports),
        "ca_cert_identifier": "rds-ca-rsa2048-g1",
        "apply_immediately": not protect or retiring,
    }


def restore_args(restore: RestoreSettings | None, source_identifier: str) -> dict:
    """Where a restored instance's data comes from: a snapshot, or the source instance at a point in time.
    The master user comes from the snapshot (username is not sent); the password is reset after the restore."""
    if restore is None:
        return {"username": MASTER_USERNAME}
    if restore.snapshot:
        return {"snapshot_identifier": restore.snapshot}
    point: dict[str, Any] = {"source_db_instance_identifier": source_identifier}
    if restore.point_in_time == "latest":
        point["use_latest_restorable_time"] = True
    else:
        point["restore_time"] = restore.point_in_time
    return {"restore_to_point_in_time": point}


class RdsInstance(pulumi.ComponentResource):
    """An encrypted RDS instance: subnet group, security group (DB port from the nodes only), TLS-only
    parameter group, generated master password (a Pulumi secret)."""

    address: pulumi.Output[str]

    def __init__(self, name: str, *, engine: Engine, identifier: str, settings: DatabaseSettings,
                 vpc_id: pulumi.Input[str], subnet_ids: Sequence[pulumi.Input[str]],
                 client_security_group_id: pulumi.Input[str], kms_key_arn: pulumi.Input[str], protect: bool,
                 log_retention_days: int, restore: RestoreSettings | None = None, source_identifier: str = "",
                 retiring: bool = False, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:storage:RdsInstance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.spec = engine_spec(engine)
        self.engine = engine
        self.identifier = identifier
        self.port = self.spec.port
        self.master_username = MASTER_USERNAME

        subnet_group = aws.rds.SubnetGroup(name, name=identifier, subnet_ids=subnet_ids,
                                           description=f"Private subnets of {identifier}", opts=child)
        self.security_group = aws.ec2.SecurityGroup(
            name, name=identifier, vpc_id=vpc_id, description=f"{engine} {identifier}: clients are the cluster's nodes",
            tags={"Name": identifier}, opts=child)
        # Clients (the bootstrap Jobs first) wait for this rule as well as for the instance: without it their
        # connections time out.
        self.client_access = aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-nodes", security_group_id=self.security_group.id, ip_protocol="tcp",
            from_port=self.port, to_port=self.port, referenced_security_group_id=client_security_group_id,
            description="Database port from the EKS cluster security group (all managed nodes)", opts=child)
        # Created before the instance so that RDS writes into them: its own would keep logs forever.
        log_groups = [aws.cloudwatch.LogGroup(f"{name}-{group.rsplit('/', 1)[1]}-logs", name=group,
                                              retention_in_days=log_retention_days, opts=child)
                      for group in log_group_names(identifier, self.spec)]
        parameter_group = aws.rds.ParameterGroup(
            name, name=identifier, family=self.spec.family, description=f"{identifier}: TLS-only connections, logs",
            parameters=[{"name": k, "value": v, "apply_method": "immediate"} for k, v in self.spec.parameters],
            opts=child)
        self.master_password = random.RandomPassword(
            f"{name}-master", length=40, special=False, opts=child).result

        args = instance_args(self.spec, settings, protect, retiring)
        keep = protect and not retiring
        master_password: pulumi.Output[str] = pulumi.Output.secret(self.master_password)
        self.instance = aws.rds.Instance(
            name,
            identifier=identifier,
            **restore_args(restore, source_identifier),
            password=master_password,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            parameter_group_name=parameter_group.name,
            kms_key_id=kms_key_arn,
            performance_insights_kms_key_id=kms_key_arn if settings.performance_insights else None,
            final_snapshot_identifier=final_snapshot_identifier(identifier) if protect or retiring else None,
            **args,
            opts=pulumi.ResourceOptions(parent=self, protect=keep, retain_on_delete=keep, depends_on=log_groups),
        )
        self.address = self.instance.address
        self.arn = self.instance.arn
        self.register_outputs({"address": self.address, "port": self.port})
