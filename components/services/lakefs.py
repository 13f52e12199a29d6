"""lakeFS (treeverse `lakefs` chart) on PostgreSQL with its S3 blockstore through IRSA.

- Database and blockstore are configured in `lakefsConfig` (a YAML string); the connection string
  (with the password) and the auth encryption key come from the Secret `lakefs-secrets` through the
  chart's `existingSecret` + `secretKeys`, so neither is in the Helm values.
- First start creates the admin user with generated keys (`installation.*`), read from the same
  Secret through `extraEnvVars` secretKeyRefs.
- The chart creates the service account only with `serviceAccount.create`; it is created, named
  `lakefs` and annotated with the role allowed the lakeFS bucket only.
- The chart does not expose pod or container security contexts in its values, so the namespace
  enforces the `baseline` Pod Security Standard (the image runs as a non-root user).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_random as random
import yaml

from components.availability import chart_pod_labels, disruption_budget, zone_spread
from components.helm import chart_release
from components.namespace import PlatformNamespace
from domain.settings import PlatformSettings
from domain.versions import CHARTS, IMAGES

from .common import (
    MONITORING_NAMESPACE,
    ServiceContext,
    bucket_with_role,
    expose,
    opaque_secret,
    service_account_annotations,
    split_image,
)
from .database_bootstrap import AppDatabase

NAMESPACE = RELEASE = SERVICE = SERVICE_ACCOUNT = "lakefs"
SERVICE_PORT = 80
CONTAINER_PORT = 8000
DB_USER = DB_NAME = "lakefs"
SECRET = "lakefs-secrets"
ENCRYPT_KEY = "auth_encrypt_secret_key"
CONNECTION_STRING_KEY = "database_connection_string"
ADMIN_ACCESS_KEY_ID = "admin_access_key_id"
ADMIN_SECRET_ACCESS_KEY = "admin_secret_access_key"
ADMIN_USER = "admin"
BUCKET_PURPOSE = "lakefs"
LAKEFS_REPOSITORY = "treeverse/lakefs"  # the chart's community image; only its tag is a value
POD_LABELS = chart_pod_labels("lakefs", RELEASE)


def connection_string(host: str, port: int, password: str) -> str:
    """PostgreSQL URL of the lakeFS database, TLS required (goes into a Secret, never into values)."""
    return f"postgres://{DB_USER}:{password}@{host}:{port}/{DB_NAME}?sslmode=require"


def lakefs_config(platform: PlatformSettings) -> dict[str, Any]:
    """Non-secret lakeFS configuration (the chart's `lakefsConfig`)."""
    return {
        "database": {"type": "postgres"},
        "blockstore": {"type": "s3", "s3": {"region": platform.region}},
        "installation": {"user_name": ADMIN_USER},
        "stats": {"enabled": False},
        "logging": {"format": "json", "level": "INFO"},
    }


def lakefs_values(platform: PlatformSettings, *, role_arn: str, placement: Mapping[str, Any],
                  replicas: int) -> dict[str, Any]:
    repository, tag = split_image(IMAGES["lakefs"])
    if not repository.endswith(LAKEFS_REPOSITORY):
        raise ValueError(f"IMAGES['lakefs'] must be a {LAKEFS_REPOSITORY} tag (the chart fixes the repository)")

    def from_secret(env: str, key: str) -> dict[str, Any]:
        return {"name": env, "valueFrom": {"secretKeyRef": {"name": SECRET, "key": key}}}

    return {
        "fullnameOverride": RELEASE,
        "replicaCount": replicas,
        "image": {"pullPolicy": "IfNotPresent", "community": {"tag": tag}},
        "lakefsConfig": yaml.safe_dump(lakefs_config(platform), sort_keys=False),
        "existingSecret": SECRET,
        "secretKeys": {"authEncryptSecretKey": ENCRYPT_KEY, "databaseConnectionString": CONNECTION_STRING_KEY},
        "extraEnvVars": [from_secret("LAKEFS_INSTALLATION_ACCESS_KEY_ID", ADMIN_ACCESS_KEY_ID),
                         from_secret("LAKEFS_INSTALLATION_SECRET_ACCESS_KEY", ADMIN_SECRET_ACCESS_KEY)],
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT,
                           "annotations": service_account_annotations(role_arn)},
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        "nodeSelector": dict(placement["nodeSelector"]),
        "tolerations": list(placement["tolerations"]),
        "ingress": {"enabled": False},
        **({"topologySpreadConstraints": zone_spread(POD_LABELS)} if replicas > 1 else {}),
    }


class Lakefs(pulumi.ComponentResource):
    """lakeFS in namespace `lakefs`. Exposes `bucket` (the blockstore), `role`, `admin_access_key_id`,
    `admin_secret_access_key` (secrets) and `release`."""

    def __init__(self, name: str, ctx: ServiceContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:services:Lakefs", name, None, opts)
        self.namespace, self.service = NAMESPACE, SERVICE
        ns = PlatformNamespace(f"{name}-ns", NAMESPACE, pss_level="baseline", opts=pulumi.ResourceOptions(parent=self))
        ns.allow_ingress("clients", CONTAINER_PORT, [MONITORING_NAMESPACE, *ctx.client_namespaces("lakefs")])

        self.bucket, self.role = bucket_with_role(name, ctx, purpose=BUCKET_PURPOSE, namespace=NAMESPACE,
                                                  service_account=SERVICE_ACCOUNT, parent=self)
        placement = ctx.placement("lakefs")
        database = AppDatabase(f"{name}-db", server=ctx.databases["lakefs"], user=DB_USER, databases=[DB_NAME],
                               namespace=ctx.bootstrap_namespace, placement=placement,
                               prerequisites=ctx.bootstrap_ready,
                               depends_on=ctx.nodes_ready("lakefs"), opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self)
        encrypt_key = random.RandomPassword(f"{name}-encrypt-key", length=64, special=False, opts=child).result
        key_id = random.RandomString(f"{name}-admin-key-id", length=15, upper=True, lower=False, numeric=True,
                                     special=False, opts=child).result
        self.admin_access_key_id: pulumi.Output[str] = pulumi.Output.secret(key_id.apply(lambda k: f"AKIAJ{k}"))
        self.admin_secret_access_key = random.RandomPassword(f"{name}-admin-secret-key", length=40, special=False,
                                                             opts=child).result
        secret = opaque_secret(f"{name}-secret", SECRET, NAMESPACE, {
            ENCRYPT_KEY: encrypt_key,
            CONNECTION_STRING_KEY: pulumi.Output.all(database.host, database.password).apply(
                lambda a: connection_string(a[0], database.port, a[1])),
            ADMIN_ACCESS_KEY_ID: self.admin_access_key_id,
            ADMIN_SECRET_ACCESS_KEY: self.admin_secret_access_key,
        }, parent=self, depends_on=[ns])
        replicas = ctx.replicas("lakefs")
        values = self.role.arn.apply(lambda arn: lakefs_values(ctx.platform, role_arn=arn, placement=placement,
                                                               replicas=replicas))
        self.release = chart_release(
            f"{name}-release", CHARTS["lakefs"], NAMESPACE, values,
            pulumi.ResourceOptions(parent=self, depends_on=[ns, secret, database.job, *ctx.release_after("lakefs")]),
            release_name=RELEASE)
        # The chart has no PodDisruptionBudget value.
        self.disruption_budget = disruption_budget(f"{name}-pdb", namespace=NAMESPACE, metadata_name=RELEASE,
                                                   match_labels=POD_LABELS, replicas=replicas, parent=self,
                                                   depends_on=[ns])
        expose(name, ctx, "lakefs", namespace=NAMESPACE, service=SERVICE, service_port=SERVICE_PORT,
               target_port=CONTAINER_PORT, health_check_path="/_health", parent=self, after=[self.release])
        self.register_outputs({"namespace": NAMESPACE, "bucket": self.bucket.name})
