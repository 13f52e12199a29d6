"""The monitoring stack: kube-prometheus-stack on the monitoring pool, Grafana secrets, SSO and dashboards."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.helm import chart_release
from components.identity import OidcClient
from components.namespace import PlatformNamespace
from components.storage_class import DEFAULT_STORAGE_CLASS
from stacks.settings import PlatformSettings
from stacks.versions import CHARTS

from .dashboards import FOLDER, dashboards
from .values import (
    DASHBOARD_FOLDER_ANNOTATION,
    DASHBOARD_LABEL,
    DASHBOARD_LABEL_VALUE,
    GRAFANA_NAME,
    OPERATOR_APP_LABEL,
    OPERATOR_WEBHOOK_PORT,
    PROMETHEUS_NAME,
    RELEASE_NAME,
    GrafanaSecrets,
    GrafanaSso,
    SecretRef,
    kube_prometheus_stack_values,
)

MONITORING_NAMESPACE = "monitoring"
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_USER = "admin"
GRAFANA_OIDC_SECRET = SecretRef("grafana-oidc-client", "client-secret")
GRAFANA_DATABASE_SECRET = SecretRef("grafana-database", "url")
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
    `grafana_oidc`: Keycloak's client for Grafana (SSO); `grafana_database_url`: a shared database
    (postgres://...), required to run more than one Grafana replica.
    """

    def __init__(self, name: str, settings: PlatformSettings, *, storage_class_name: str = DEFAULT_STORAGE_CLASS,
                 grafana_oidc: OidcClient | None = None, grafana_database_url: pulumi.Input[str] | None = None,
                 release_depends_on: Sequence[pulumi.Resource] = (), opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:observability:Observability", name, None, opts)
        obs = settings.observability.for_environment(settings.environment)
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
        secrets = [k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata={"name": GRAFANA_ADMIN_SECRET, "namespace": ns},
            type="Opaque",
            string_data={"admin-user": GRAFANA_ADMIN_USER, "admin-password": admin_password.result},
            opts=after_ns)]
        sso = None
        if grafana_oidc is not None:
            sso = grafana_sso(grafana_oidc)
            secrets.append(k8s.core.v1.Secret(
                f"{name}-grafana-oidc",
                metadata={"name": GRAFANA_OIDC_SECRET.name, "namespace": ns},
                type="Opaque",
                string_data={GRAFANA_OIDC_SECRET.key: pulumi.Output.secret(grafana_oidc.secret)},
                opts=after_ns))
        database = None
        if grafana_database_url is not None:
            database = GRAFANA_DATABASE_SECRET
            secrets.append(k8s.core.v1.Secret(
                f"{name}-grafana-database",
                metadata={"name": GRAFANA_DATABASE_SECRET.name, "namespace": ns},
                type="Opaque",
                string_data={GRAFANA_DATABASE_SECRET.key: pulumi.Output.secret(grafana_database_url)},
                opts=after_ns))

        grafana_replicas = obs.grafana.replicas or 1
        if grafana_replicas > 1 and database is None:
            pulumi.log.warn(
                f"observability.grafana.replicas is {grafana_replicas} but Grafana has no shared database "
                "(grafana_database_url): its sessions live in a per-pod SQLite file, so replicas would log users "
                "out at random. Running 1 replica; pass a database URL to run more.", resource=self)
            grafana_replicas = 1

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

        values = kube_prometheus_stack_values(
            settings, obs, storage_class_name,
            GrafanaSecrets(admin=SecretRef(GRAFANA_ADMIN_SECRET, "admin-password"), sso=sso, database_url=database),
            grafana_replicas)
        self.release = chart_release(
            f"{name}-kube-prometheus-stack", CHARTS["kube-prometheus-stack"], ns, values,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace.namespace, *secrets,
                                                                 *release_depends_on]),
            release_name=RELEASE_NAME)
        self.grafana_replicas = grafana_replicas
        self.prometheus_url = f"http://{PROMETHEUS_NAME}.{ns}.svc:9090"
        self.alertmanager_url = f"http://{RELEASE_NAME}-alertmanager.{ns}.svc:9093"
        self.grafana_url = f"http://{GRAFANA_NAME}.{ns}.svc"
        self.register_outputs({"namespace": ns, "release": self.release.name, "prometheus_url": self.prometheus_url,
                               "grafana_url": self.grafana_url})
