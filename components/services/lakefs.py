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

from typing import Any

import pulumi
import pulumi_random as random
import yaml

from components.availability import chart_pod_labels, zone_spread
from components.namespace import PlatformNamespace
from domain.services import service_spec
from domain.settings.services import ServiceDeployment
from domain.versions import IMAGES

from .common import ServiceContext, opaque_secret, service_account_annotations, split_image
from .recipe import HelmService, ReleaseInputs

SPEC = service_spec("lakefs")
NAMESPACE = RELEASE = SERVICE = SERVICE_ACCOUNT = SPEC.name
DB_USER = SPEC.database.user
(DB_NAME,) = SPEC.database.names
SECRET = "lakefs-secrets"
ENCRYPT_KEY = "auth_encrypt_secret_key"
CONNECTION_STRING_KEY = "database_connection_string"
ADMIN_ACCESS_KEY_ID = "admin_access_key_id"
ADMIN_SECRET_ACCESS_KEY = "admin_secret_access_key"
ADMIN_USER = "admin"
LAKEFS_REPOSITORY = "treeverse/lakefs"  # the chart's community image; only its tag is a value
POD_LABELS = chart_pod_labels("lakefs", RELEASE)


def connection_string(host: str, port: int, password: str) -> str:
    """PostgreSQL URL of the lakeFS database, TLS required (goes into a Secret, never into values)."""
    return f"postgres://{DB_USER}:{password}@{host}:{port}/{DB_NAME}?sslmode=require"


def lakefs_config(region: str) -> dict[str, Any]:
    """Non-secret lakeFS configuration (the chart's `lakefsConfig`)."""
    return {
        "database": {"type": "postgres"},
        "blockstore": {"type": "s3", "s3": {"region": region}},
        "installation": {"user_name": ADMIN_USER},
        "stats": {"enabled": False},
        "logging": {"format": "json", "level": "INFO"},
    }


def lakefs_values(deployment: ServiceDeployment, *, region: str, role_arn: str) -> dict[str, Any]:
    placement, replicas = deployment.placement, deployment.replicas
    repository, tag = split_image(IMAGES["lakefs"])
    if not repository.endswith(LAKEFS_REPOSITORY):
        raise ValueError(f"IMAGES['lakefs'] must be a {LAKEFS_REPOSITORY} tag (the chart fixes the repository)")

    def from_secret(env: str, key: str) -> dict[str, Any]:
        return {"name": env, "valueFrom": {"secretKeyRef": {"name": SECRET, "key": key}}}

    return {
        "fullnameOverride": RELEASE,
        "replicaCount": replicas,
        "image": {"pullPolicy": "IfNotPresent", "community": {"tag": tag}},
        "lakefsConfig": yaml.safe_dump(lakefs_config(region), sort_keys=False),
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


class Lakefs(HelmService):
    """lakeFS in namespace `lakefs`. Exposes `bucket` (the blockstore), `role`, `admin_access_key_id`,
    `admin_secret_access_key` (secrets) and `release`."""

    SPEC = SPEC
    POD_LABELS = POD_LABELS

    def release_inputs(self, name: str, ctx: ServiceContext, deployment: ServiceDeployment,
                       ns: PlatformNamespace) -> ReleaseInputs:
        assert self.role is not None
        database, child = self.database, pulumi.ResourceOptions(parent=self)
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
        values = self.role.arn.apply(lambda arn: lakefs_values(deployment, region=ctx.region, role_arn=arn))
        return ReleaseInputs(values, [secret], env_secrets=[
            encrypt_key, database.password, database.host, self.admin_access_key_id, self.admin_secret_access_key])


COMPONENT = Lakefs
