"""The monitoring stack: kube-prometheus-stack on the monitoring pool, Grafana secrets, SSO, database and
dashboards, Alertmanager receivers, and Grafana's optional ALB Ingress."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.helm import chart_release
from components.identity import OidcClient
from components.ingress import alb_ingress
from components.namespace import PlatformNamespace
from components.secret import (
    SECRETS_CHECKSUM_ANNOTATION,
    env_secrets_checksum,
    opaque_secret,
    with_pod_annotations,
)
from components.storage.database import DatabaseConnection
from components.storage_class import DEFAULT_STORAGE_CLASS
from domain.settings.observability import MONITORING_NAMESPACE, ObservabilitySettings
from domain.versions import CHARTS

from .alerting import RECEIVER_SECRET, receiver_secrets
from .dashboards import FOLDER, dashboards
from .values import (
    DASHBOARD_FOLDER_ANNOTATION,
    DASHBOARD_LABEL,
    DASHBOARD_LABEL_VALUE,
    GRAFANA_HTTP_PORT,
    GRAFANA_NAME,
    OPERATOR_APP_LABEL,
    OPERATOR_WEBHOOK_PORT,
    PROMETHEUS_NAME,
    RELEASE_NAME,
    GrafanaSecrets,
    GrafanaSso,
    MonitoringScope,
    SecretRef,
    kube_prometheus_stack_values,
)

GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_USER = "admin"
GRAFANA_OIDC_SECRET = SecretRef("grafana-oidc-client", "client-secret")
GRAFANA_DATABASE_SECRET = "grafana-database"  # keys host (host:port), name, user, password
GRAFANA_SERVICE_PORT = 80
GRAFANA_POD_LABELS = {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": RELEASE_NAME}
OAUTH_CALLBACK_PATH = "/login/generic_oauth"


def grafana_root_url(client: OidcClient) -> str:
    """Grafana's public URL, from the client's redirect URI (https://grafana.example.com/login/generic_oauth)."""
    for uri in client.redirect_uris:
        if uri.rstrip("/").endswith(OAUTH_CALLBACK_PATH):
            return uri.rstrip("/")[: -len(OAUTH_CALLBACK_PATH)]
    raise ValueError(
        f"OIDC client '{client.client_id}' has no redirect URI ending in {OAUTH_CALLBACK_PATH}, which is where "
        f"Grafana receives the login callback. Fix: register https://<grafana host>{OAUTH_CALLBACK_PATH}.")


def grafana_sso(client: OidcClient) -> GrafanaSso:
    return GrafanaSso(client_id=client.client_id, client_secret=GRAFANA_OIDC_SECRET,
                      root_url=grafana_root_url(client), issuer_url=client.issuer_url,
                      internal_issuer_url=client.internal_issuer_url)


class Observability(pulumi.ComponentResource):
    """kube-prometheus-stack (pinned) in the `monitoring` namespace, every component on the monitoring pool.

    Exposes `release` (depend on it before creating ServiceMonitor/PodMonitor/PrometheusRule objects: the
    chart installs their CRDs), `namespace` (the PlatformNamespace, for extra allow rules) and
    `namespace_name`, plus the in-cluster `prometheus_url`, `alertmanager_url` and `grafana_url`.

    `release_depends_on`: what the chart's pods need before they can start (the monitoring node group,
    the StorageClass of their volumes); only the Helm release waits for them.
    `grafana_oidc`: Keycloak's client for Grafana (SSO); `grafana_database`: a PostgreSQL database of
    Grafana's own (the services layer's AppDatabase), required to run more than one Grafana replica; the
    release also waits for its `ready` resources.
    `ingress_controller`, `vpc_cidr`: the ALB controller's release and the VPC range, for Grafana's Ingress
    (`observability.grafana.ingress`).
    Alertmanager receivers' secrets are read from the stack's secret config (`observability.alerting`).
    """

    def __init__(self, name: str, obs: ObservabilitySettings, scope: MonitoringScope, *,
                 storage_class_name: str = DEFAULT_STORAGE_CLASS,
                 grafana_oidc: OidcClient | None = None, grafana_database: DatabaseConnection | None = None,
                 ingress_controller: pulumi.Resource | None = None, vpc_cidr: str | None = None,
                 release_depends_on: Sequence[pulumi.Resource] = (), opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:observability:Observability", name, None, opts)
        ns = MONITORING_NAMESPACE
        self.namespace_name = ns
        # node-exporter needs hostNetwork, hostPID and host paths: the namespace enforces PSS privileged.
        self.namespace = PlatformNamespace(f"{name}-namespace", ns, pss_level="privileged",
                                           opts=pulumi.ResourceOptions(parent=self))
        after_ns = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace.namespace])
        # The API server calls the operator's admission webhook from the control plane's ENIs.
        self.namespace.allow_ingress("operator-webhook", OPERATOR_WEBHOOK_PORT,
                                     pod_selector={"app": OPERATOR_APP_LABEL, "release": RELEASE_NAME})

        admin_password = random.RandomPassword(f"{name}-grafana-admin", length=32, special=False,
                                               opts=pulumi.ResourceOptions(parent=self))
        ns_ready = [self.namespace.namespace]
        secrets = [opaque_secret(f"{name}-grafana-admin", GRAFANA_ADMIN_SECRET, ns,
                                 {"admin-user": GRAFANA_ADMIN_USER, "admin-password": admin_password.result},
                                 parent=self, depends_on=ns_ready)]
        sso = None
        if grafana_oidc is not None:
            sso = grafana_sso(grafana_oidc)
            secrets.append(opaque_secret(f"{name}-grafana-oidc", GRAFANA_OIDC_SECRET.name, ns,
                                         {GRAFANA_OIDC_SECRET.key: grafana_oidc.secret},
                                         parent=self, depends_on=ns_ready))
        database = None
        database_ready: list[pulumi.Resource] = []
        if grafana_database is not None:
            if grafana_database.engine != "postgres":
                raise ValueError(f"Grafana's database must be PostgreSQL, not {grafana_database.engine}")
            database = GRAFANA_DATABASE_SECRET
            db = grafana_database
            connection: dict[str, pulumi.Input[str]] = {
                "host": pulumi.Output.concat(db.host, ":", str(db.port)), "name": db.database, "user": db.user,
                "password": db.password}
            secrets.append(opaque_secret(f"{name}-grafana-database", GRAFANA_DATABASE_SECRET, ns, connection,
                                         parent=self, depends_on=ns_ready))
            database_ready = list(db.ready)

        grafana_replicas = obs.grafana.replicas
        if grafana_replicas > 1 and database is None:
            why = ("observability.grafana.database is sqlite" if obs.grafana.database == "sqlite"
                   else "the stack has no PostgreSQL instance (no enabled Keycloak, MLflow or lakeFS)")
            pulumi.log.warn(
                f"observability.grafana.replicas is {grafana_replicas} but Grafana has no shared database ({why}): "
                "its sessions live in a per-pod SQLite file, so replicas would log users out at random. "
                "Running 1 replica.", resource=self)
            grafana_replicas = 1

        receivers = receiver_secrets(obs.alerting)
        if receivers:
            # Values from the stack's secret config (`pulumi config set --secret`), Pulumi secrets throughout.
            config = pulumi.Config(scope.project)
            secrets.append(opaque_secret(
                f"{name}-alertmanager-receivers", RECEIVER_SECRET, ns,
                {receiver: config.require_secret(key) for receiver, key in receivers.items()},
                parent=self, depends_on=ns_ready))
        if scope.is_production and not obs.alerting.receivers:
            pulumi.log.warn(
                "observability.alerting has no receivers: every alert goes to the null receiver and nobody is "
                "notified. Fix: add receivers (pagerduty for critical, slack/email/webhook for warning) with their "
                "secrets in secret config.", resource=self)

        self.dashboards = [
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{stem}",
                metadata={"name": f"mlplatform-dashboard-{stem}", "namespace": ns,
                          "labels": {DASHBOARD_LABEL: DASHBOARD_LABEL_VALUE},
                          "annotations": {DASHBOARD_FOLDER_ANNOTATION: FOLDER}},
                data={f"{stem}.json": json.dumps(dashboard, indent=1, sort_keys=True)},
                opts=after_ns)
            for stem, dashboard in dashboards(obs).items()
        ]

        plain_values = kube_prometheus_stack_values(
            scope, obs, storage_class_name,
            GrafanaSecrets(admin=SecretRef(GRAFANA_ADMIN_SECRET, "admin-password"), sso=sso, database=database),
            grafana_replicas)
        # Grafana reads its OIDC client secret and database password through env: a rotation rolls its pods.
        env_secrets = [admin_password.result, *([grafana_oidc.secret] if grafana_oidc is not None else []),
                       *([grafana_database.password] if grafana_database is not None else [])]
        values = env_secrets_checksum(env_secrets).apply(lambda checksum: {
            **plain_values,
            "grafana": with_pod_annotations(plain_values["grafana"], {SECRETS_CHECKSUM_ANNOTATION: checksum})})
        self.release = chart_release(
            f"{name}-kube-prometheus-stack", CHARTS["kube-prometheus-stack"], ns, values,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace.namespace, *secrets,
                                                                 *database_ready, *release_depends_on]),
            release_name=RELEASE_NAME)

        self.ingress: k8s.networking.v1.Ingress | None = None
        ingress = obs.grafana.ingress
        if ingress.enabled:
            if vpc_cidr is None or ingress_controller is None:
                raise ValueError("observability.grafana.ingress needs the ALB controller and the VPC range")
            # Also admits the ALB (the VPC range) to Grafana's port, and only Grafana's pods.
            self.ingress = alb_ingress(
                f"{name}-grafana-ingress", namespace=ns, ingress=ingress, service=GRAFANA_NAME,
                service_port=GRAFANA_SERVICE_PORT, target_port=GRAFANA_HTTP_PORT, health_check_path="/api/health",
                vpc_cidr=vpc_cidr, group=scope.cluster_name, pod_selector=GRAFANA_POD_LABELS, parent=self,
                depends_on=[self.release, ingress_controller])
        self.grafana_replicas = grafana_replicas
        self.prometheus_url = f"http://{PROMETHEUS_NAME}.{ns}.svc:9090"
        self.alertmanager_url = f"http://{RELEASE_NAME}-alertmanager.{ns}.svc:9093"
        self.grafana_url = f"http://{GRAFANA_NAME}.{ns}.svc"
        self.register_outputs({"namespace": ns, "release": self.release.name, "prometheus_url": self.prometheus_url,
                               "grafana_url": self.grafana_url})
