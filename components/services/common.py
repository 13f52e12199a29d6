"""What every service component shares: its context (settings, pool, shared storage) and small builders."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.iam import OidcIdentity, ServiceAccountRole, policy_document
from components.identity import OidcClient
from components.secret import opaque_secret  # noqa: F401  (re-exported for the services)
from components.storage import RdsInstance, ServiceBucket, bucket_name, read_write_statements
from domain.settings.observability import MONITORING_NAMESPACE  # noqa: F401  (re-exported for the services)
from domain.settings.services import ServiceDeployment, ServicesLayerSettings, ServicesSettings
from domain.versions import split_image  # noqa: F401  (re-exported for the services)

SERVICE_ACCOUNT_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"

# Pod Security Standards `restricted` for a container and its pod.
RESTRICTED_POD: dict[str, Any] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


NOBODY = 65534


def one_shot_job_spec(app: str, container: dict[str, Any], placement: Mapping[str, Any],
                      annotations: Mapping[str, str], volumes: list[dict[str, Any]]) -> dict[str, Any]:
    """A Job that runs one restricted pod as nobody, without a service account token, until it succeeds
    (6 tries, 20 minutes at most). `annotations` on the pod template: a change replaces the Job."""
    return {
        "backoffLimit": 6,
        "activeDeadlineSeconds": 1200,
        "template": {
            "metadata": {"labels": {"app.kubernetes.io/name": app}, "annotations": dict(annotations)},
            "spec": {
                "restartPolicy": "Never",
                "automountServiceAccountToken": False,
                "securityContext": {**RESTRICTED_POD, "runAsUser": NOBODY, "runAsGroup": NOBODY},
                **placement,
                "containers": [container],
                "volumes": volumes,
            },
        },
    }


def in_cluster_hosts(service: str, namespace: str) -> list[str]:
    """The host names a Service answers to inside the cluster."""
    return [service, f"{service}.{namespace}", f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local"]


@dataclass
class DatabaseServer:
    """An RDS instance and the Secret (in the bootstrap namespace) holding its master credentials."""

    instance: RdsInstance
    master_secret: str


@dataclass
class ServiceContext:
    """Shared infrastructure the service components build on. Created once by PlatformServices."""

    layer: ServicesLayerSettings
    oidc: OidcIdentity
    account_id: pulumi.Output[str]
    data_key_arn: pulumi.Output[str]
    vpc_cidr: str
    # The bootstrap namespace and master-credential Secrets: what every AppDatabase waits for.
    bootstrap_ready: Sequence[pulumi.Resource] = ()
    databases: dict[str, DatabaseServer] = field(default_factory=dict)  # by service name
    # Pool name -> what makes the pool schedulable (its node group; Cluster Autoscaler too when it starts at zero).
    node_groups: Mapping[str, Sequence[pulumi.Resource]] = field(default_factory=dict)
    ingress_controller: pulumi.Resource | None = None
    # What a release waits for when it creates ServiceMonitors (the Prometheus Operator CRDs).
    monitoring: Sequence[pulumi.Resource] = ()
    # OIDC clients of the platform realm (Keycloak imports them), by client id.
    oidc_clients: Mapping[str, OidcClient] = field(default_factory=dict)
    # The bucket receiving the S3 server access logs of every service bucket.
    access_log_bucket: pulumi.Output[str] | None = None

    @property
    def settings(self) -> ServicesSettings:
        return self.layer.settings

    @property
    def protect(self) -> bool:
        return self.layer.protect

    @property
    def region(self) -> str:
        return self.layer.region

    def deployment(self, name: str) -> ServiceDeployment:
        return self.layer.deployment(name)

    def nodes_ready(self, name: str) -> list[pulumi.Resource]:
        """What a service's pods wait for: its pool's node group (and the autoscaler, for a pool at zero)."""
        return list(self.node_groups.get(self.deployment(name).pool, ()))

    def release_after(self, name: str) -> list[pulumi.Resource]:
        """What a service's Helm release waits for besides its own Secrets and database."""
        return [*self.nodes_ready(name), *(self.monitoring if self.settings.service_monitors else ())]

    def bucket_name(self, purpose: str) -> pulumi.Output[str]:
        cluster, region = self.layer.cluster_name, self.layer.region
        return self.account_id.apply(lambda account: bucket_name(cluster, purpose, account, region))


def service_account_annotations(role_arn: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    return {SERVICE_ACCOUNT_ROLE_ANNOTATION: role_arn}


def login_secrets(name: str, namespace: str, *, db_secret: str, db_user: str, db_password: pulumi.Input[str],
                  admin_secret: str, admin_password: pulumi.Input[str], parent: pulumi.Resource,
                  depends_on: Sequence[pulumi.Resource]) -> list[k8s.core.v1.Secret]:
    """The database login and the bootstrap admin login of a service, as `username`/`password` Secrets."""
    return [
        opaque_secret(f"{name}-db-secret", db_secret, namespace, {"username": db_user, "password": db_password},
                      parent=parent, depends_on=depends_on),
        opaque_secret(f"{name}-admin-secret", admin_secret, namespace, {"username": "admin", "password": admin_password},
                      parent=parent, depends_on=depends_on),
    ]


def bucket_with_role(name: str, ctx: ServiceContext, *, purpose: str, namespace: str, service_account: str,
                     parent: pulumi.Resource,
                     extra_statements: Callable[[str], list[dict[str, Any]]] | None = None,
                     ) -> tuple[ServiceBucket, ServiceAccountRole]:
    """A service's own bucket and the IRSA role of its service account, allowed that bucket only.

    `extra_statements(account_id)` adds statements beyond the bucket (ZenML's secrets store).
    """
    bucket = ServiceBucket(f"{name}-bucket", bucket=ctx.bucket_name(purpose), kms_key_arn=ctx.data_key_arn,
                           settings=ctx.settings.buckets, protect=ctx.protect, access_log_bucket=ctx.access_log_bucket,
                           opts=pulumi.ResourceOptions(parent=parent))
    region = ctx.region
    policy = pulumi.Output.all(bucket.arn, ctx.data_key_arn, ctx.account_id).apply(lambda a: policy_document(
        read_write_statements(a[0], a[1], region) + (extra_statements(a[2]) if extra_statements else [])))
    role = ServiceAccountRole(f"{name}-irsa", ctx.oidc, namespace, service_account, policy=policy,
                              opts=pulumi.ResourceOptions(parent=parent))
    return bucket, role
