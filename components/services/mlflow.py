"""MLflow tracking server (community-charts `mlflow`) on PostgreSQL, with S3 artifacts through IRSA.

- Backend store: database `mlflow` on the shared PostgreSQL instance, credentials from the Secret
  `mlflow-db` (`backendStore.existingDatabaseSecret`); migrations run in the chart's init container.
- Authentication: MLflow basic auth, admin from the Secret `mlflow-admin` (`auth.existingAdminSecret`);
  its user/permission store is the database `mlflow_auth` (shared by all replicas, unlike SQLite).
- Artifacts: proxied by the server (`--serve-artifacts`) to its own bucket with its IRSA role, so
  clients need no AWS credentials.
- The Flask session key is pre-created from `pulumi_random` in the Secret the chart looks up
  (`mlflow-flask-server-secret-key`), so the chart does not generate its own.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_random as random

from components.availability import chart_pod_labels, zone_anti_affinity
from components.namespace import PlatformNamespace
from domain.services import service_spec
from domain.settings.services import ServiceDeployment
from domain.versions import IMAGES

from .common import (
    RESTRICTED_CONTAINER,
    RESTRICTED_POD,
    ServiceContext,
    in_cluster_hosts,
    login_secrets,
    opaque_secret,
    service_account_annotations,
    split_image,
)
from .recipe import HelmService, ReleaseInputs

SPEC = service_spec("mlflow")
NAMESPACE = RELEASE = SERVICE = SERVICE_ACCOUNT = SPEC.name
DB_USER = SPEC.database.user
DB_NAME, AUTH_DB_NAME = SPEC.database.names
DB_SECRET = "mlflow-db"
ADMIN_SECRET = "mlflow-admin"
FLASK_SECRET = "mlflow-flask-server-secret-key"  # the name the chart looks up before generating one
ARTIFACTS_PATH = "artifacts"
POD_LABELS = chart_pod_labels("mlflow", RELEASE)


def allowed_hosts(deployment: ServiceDeployment) -> list[str]:
    """Host headers MLflow accepts (DNS-rebinding protection): in-cluster names, port-forward, ingress."""
    hosts = [*in_cluster_hosts(SERVICE, NAMESPACE), "localhost", "localhost:*", "127.0.0.1:*"]
    ingress = deployment.settings.ingress
    if ingress.enabled:
        hosts.append(ingress.host)
    return hosts


def mlflow_values(deployment: ServiceDeployment, *, region: str, bucket: str, role_arn: str, db_host: str,
                  db_port: int, service_monitor: bool) -> dict[str, Any]:
    """Values of the mlflow chart. Passwords are referenced through existing Secrets only."""
    repository, tag = split_image(IMAGES["mlflow"])
    placement, replicas = deployment.placement, deployment.replicas
    postgres = {"enabled": True, "host": db_host, "port": db_port, "user": "", "password": "", "driver": ""}
    db_secret = {"name": DB_SECRET, "usernameKey": "username", "passwordKey": "password"}
    return {
        "fullnameOverride": RELEASE,
        "replicaCount": replicas,
        "image": {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"},
        "initImages": {"mlflowDbMigration": {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"}},
        "serviceAccount": {"create": True, "automount": False, "name": SERVICE_ACCOUNT,
                           "annotations": service_account_annotations(role_arn)},
        "podSecurityContext": {**RESTRICTED_POD, "fsGroup": 1001, "fsGroupChangePolicy": "OnRootMismatch"},
        "securityContext": {**RESTRICTED_CONTAINER, "readOnlyRootFilesystem": True, "privileged": False,
                            "runAsUser": 1001, "runAsGroup": 1001},
        "telemetry": {"enabled": False},
        "backendStore": {
            "databaseMigration": True,
            "databaseConnectionCheck": False,
            "postgres": {**postgres, "database": DB_NAME},
            "existingDatabaseSecret": db_secret,
        },
        "artifactRoot": {
            "proxiedArtifactStorage": True,
            "s3": {"enabled": True, "bucket": bucket, "path": ARTIFACTS_PATH},
        },
        "auth": {
            "enabled": True,
            "existingAdminSecret": {"name": ADMIN_SECRET, "usernameKey": "username", "passwordKey": "password"},
            "defaultPermission": "READ",
            "postgres": {**postgres, "database": AUTH_DB_NAME, "existingSecret": db_secret},
        },
        # libpq reads PGSSLMODE: both the tracking store and the auth store connect over TLS.
        "extraEnvVars": {"AWS_DEFAULT_REGION": region, "PGSSLMODE": "require"},
        "serverAllowedHosts": allowed_hosts(deployment),
        "nodeSelector": dict(placement["nodeSelector"]),
        "tolerations": list(placement["tolerations"]),
        "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
        "serviceMonitor": {"enabled": service_monitor, "namespace": NAMESPACE},
        "ingress": {"enabled": False},
        # The chart has no topologySpreadConstraints: replicas avoid each other's zone, then node.
        **({"affinity": zone_anti_affinity(POD_LABELS)} if replicas > 1 else {}),
    }


class Mlflow(HelmService):
    """MLflow in namespace `mlflow`. Exposes `bucket`, `role`, `admin_password` (secret), `release`."""

    SPEC = SPEC
    POD_LABELS = POD_LABELS

    def release_inputs(self, name: str, ctx: ServiceContext, deployment: ServiceDeployment,
                       ns: PlatformNamespace) -> ReleaseInputs:
        assert self.bucket is not None and self.role is not None
        database, child = self.database, pulumi.ResourceOptions(parent=self)
        self.admin_password = random.RandomPassword(f"{name}-admin", length=32, special=False, opts=child).result
        flask_key = random.RandomPassword(f"{name}-flask-key", length=64, special=False, opts=child).result
        secrets = [
            *login_secrets(name, NAMESPACE, db_secret=DB_SECRET, db_user=DB_USER, db_password=database.password,
                           admin_secret=ADMIN_SECRET, admin_password=self.admin_password, parent=self,
                           depends_on=[ns]),
            opaque_secret(f"{name}-flask-secret", FLASK_SECRET, NAMESPACE,
                          {"MLFLOW_FLASK_SERVER_SECRET_KEY": flask_key}, parent=self, depends_on=[ns]),
        ]
        values = pulumi.Output.all(self.bucket.name, self.role.arn, database.host).apply(lambda a: mlflow_values(
            deployment, region=ctx.region, bucket=a[0], role_arn=a[1], db_host=a[2], db_port=database.port,
            service_monitor=ctx.settings.service_monitors))
        return ReleaseInputs(values, secrets, env_secrets=[database.password, self.admin_password, flask_key])


COMPONENT = Mlflow
