"""Helm values of kube-prometheus-stack, as a pure function of the settings (no Pulumi, unit-testable).

Secrets never appear here: Grafana reads its admin credentials, the OIDC client secret and its
database connection from Kubernetes Secrets the component creates, referenced by name; Alertmanager
reads its receivers' secrets from files of a mounted Secret (see alerting.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.availability import ZONE_KEY, zone_spread
from domain.settings import PlatformSettings
from domain.settings.node_pools import GPU_PRESENT_LABEL, POOL_LABEL, NodePoolSettings
from domain.settings.observability import ObservabilitySettings

from .alerting import RECEIVER_SECRET, alertmanager_config, receiver_secrets
from .rules import prometheus_rules


@dataclass(frozen=True)
class MonitoringScope:
    """What the monitoring stack reads of the platform besides its own `observability` settings."""

    project: str  # the config namespace (alerting secrets are read from it)
    cluster_name: str
    environment: str
    pool: NodePoolSettings  # the monitoring pool every component runs on
    team_owner_groups: tuple[str, ...] = ()  # Grafana editors besides observability.grafana.editorGroups

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"

    @classmethod
    def of(cls, settings: PlatformSettings) -> MonitoringScope:
        pool = settings.pool(settings.observability.pool)
        if pool is None:  # settings validation rejects this first; keep the component honest on its own
            raise ValueError(f"observability.pool '{settings.observability.pool}' is not an enabled node pool")
        return cls(settings.project, settings.cluster_name, settings.environment, pool,
                   tuple(team.owners_group for team in settings.teams))

RELEASE_NAME = "kube-prometheus-stack"
# The chart names its objects after the release (it contains the chart name, so no prefix is added).
FULLNAME = RELEASE_NAME
PROMETHEUS_NAME = f"{FULLNAME}-prometheus"
ALERTMANAGER_NAME = f"{FULLNAME}-alertmanager"
GRAFANA_NAME = f"{RELEASE_NAME}-grafana"
OPERATOR_APP_LABEL = f"{FULLNAME}-operator"
OPERATOR_WEBHOOK_PORT = 10250

# Grafana's dashboard sidecar picks up ConfigMaps carrying this label (grafana chart: sidecar.dashboards.label).
DASHBOARD_LABEL = "grafana_dashboard"
DASHBOARD_LABEL_VALUE = "1"
DASHBOARD_FOLDER_ANNOTATION = "grafana_folder"

GRAFANA_OAUTH_ENV = "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET"
# Grafana's [database] settings from the keys of the database Secret (grafana.ini holds the rest).
GRAFANA_DATABASE_ENV = {"GF_DATABASE_HOST": "host", "GF_DATABASE_NAME": "name", "GF_DATABASE_USER": "user",
                        "GF_DATABASE_PASSWORD": "password"}
# Unified alerting's HA gossip between Grafana replicas, through the chart's headless Service.
GRAFANA_HA_PORT = 9094
GRAFANA_HTTP_PORT = 3000

# Node labels kube-state-metrics exports in kube_node_labels (it exports none unless allow-listed).
NODE_LABELS_ALLOWLIST = (
    POOL_LABEL,
    GPU_PRESENT_LABEL,
    "eks.amazonaws.com/capacityType",
    "node.kubernetes.io/instance-type",
    ZONE_KEY,
)


@dataclass(frozen=True)
class SecretRef:
    name: str
    key: str


@dataclass(frozen=True)
class GrafanaSso:
    """What Grafana needs to log users in through Keycloak (generic OAuth)."""

    client_id: str
    client_secret: SecretRef
    root_url: str  # browser-facing Grafana URL, e.g. https://grafana.example.com
    issuer_url: str  # browser-facing realm URL
    internal_issuer_url: str  # in-cluster realm URL for back-channel calls


@dataclass(frozen=True)
class GrafanaSecrets:
    admin: SecretRef  # the Secret's name; keys admin-user / admin-password
    sso: GrafanaSso | None = None
    # Name of the Secret with a PostgreSQL connection: keys host (host:port), name, user, password.
    database: str | None = None


def _resources(cpu: str, memory: str, memory_limit: str | None = None) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit or memory}}


def _jmes_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def role_attribute_path(admin_groups: list[str], editor_groups: list[str]) -> str:
    """JMESPath over the token's `groups` claim (Keycloak's group-membership mapper): Admin, Editor or Viewer."""

    def member_of(groups: list[str]) -> str:
        # `groups || []`: a user in no group gets no claim at all, and contains(null, ...) is an error.
        return " || ".join(f"contains(groups || `[]`, {_jmes_string(g)})" for g in sorted(set(groups)))

    path = ""
    for groups, role in ((admin_groups, "Admin"), (editor_groups, "Editor")):
        if groups:
            path += f"({member_of(groups)}) && '{role}' || "
    return path + "'Viewer'"


def generic_oauth(sso: GrafanaSso, admin_groups: list[str], editor_groups: list[str]) -> dict[str, Any]:
    """grafana.ini [auth.generic_oauth] for a Keycloak realm. The client secret comes from the environment."""
    public, internal = sso.issuer_url.rstrip("/"), sso.internal_issuer_url.rstrip("/")
    return {
        "enabled": True,
        "name": "Keycloak",
        "allow_sign_up": True,
        "client_id": sso.client_id,
        "scopes": "openid email profile",
        "use_pkce": True,
        "use_refresh_token": True,
        "auth_url": f"{public}/protocol/openid-connect/auth",
        "token_url": f"{internal}/protocol/openid-connect/token",
        "api_url": f"{internal}/protocol/openid-connect/userinfo",
        "email_attribute_path": "email",
        "login_attribute_path": "preferred_username",
        "name_attribute_path": "name",
        "groups_attribute_path": "groups",
        "role_attribute_path": role_attribute_path(admin_groups, editor_groups),
        "allow_assign_grafana_admin": False,
        "skip_org_role_sync": False,
    }


def grafana_values(scope: MonitoringScope, obs: ObservabilitySettings, pool: NodePoolSettings,
                   secrets: GrafanaSecrets, replicas: int) -> dict[str, Any]:
    env_from: dict[str, Any] = {}
    ini: dict[str, Any] = {"analytics": {"check_for_updates": False, "reporting_enabled": False},
                           "users": {"allow_sign_up": False}}
    if secrets.sso:
        sso = secrets.sso
        env_from[GRAFANA_OAUTH_ENV] = {"secretKeyRef": {"name": sso.client_secret.name, "key": sso.client_secret.key}}
        ini["server"] = {"root_url": sso.root_url}
        editors = [*obs.grafana.editor_groups, *scope.team_owner_groups]
        ini["auth.generic_oauth"] = generic_oauth(sso, obs.grafana.admin_groups, editors)
        # Keycloak shows its own "logged out" page: a post-logout redirect would have to be registered.
        ini["auth"] = {"signout_redirect_url": (
            f"{sso.issuer_url.rstrip('/')}/protocol/openid-connect/logout?client_id={sso.client_id}")}
    elif obs.grafana.ingress.enabled:
        ini["server"] = {"root_url": obs.grafana.ingress.url}
    if secrets.database:
        for env, key in GRAFANA_DATABASE_ENV.items():
            env_from[env] = {"secretKeyRef": {"name": secrets.database, "key": key}}
        # RDS forces TLS (rds.force_ssl). The instance is shared: keep Grafana's connection pool small.
        ini["database"] = {"type": "postgres", "ssl_mode": "require", "max_open_conn": 10, "max_idle_conn": 2}
    values: dict[str, Any] = {
        **pool.placement,
        "replicas": replicas,
        "resources": _resources("100m", "256Mi", "512Mi"),
        "admin": {"existingSecret": secrets.admin.name, "userKey": "admin-user", "passwordKey": secrets.admin.key},
        "grafana.ini": ini,
        "envValueFrom": env_from,
        "testFramework": {"enabled": False},  # the helm-test pod would not be placed on the monitoring pool
        "defaultDashboardsTimezone": "utc",
        "sidecar": {"dashboards": {
            "enabled": True,
            "label": DASHBOARD_LABEL,
            "labelValue": DASHBOARD_LABEL_VALUE,
            "folderAnnotation": DASHBOARD_FOLDER_ANNOTATION,
            "provider": {"foldersFromFilesStructure": True, "allowUiUpdates": False},
        }},
    }
    if replicas > 1:
        values["podDisruptionBudget"] = {"minAvailable": 1}
        values["topologySpreadConstraints"] = zone_spread(
            {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": RELEASE_NAME}, per_node=False)
        # Grafana-managed alerts: replicas gossip so that each notification is sent once (chart README,
        # "High Availability for unified alerting"); the chart sets POD_IP in the container.
        values["headlessService"] = True
        ini["unified_alerting"] = {
            "ha_peers": f"{GRAFANA_NAME}-headless:{GRAFANA_HA_PORT}",
            "ha_listen_address": f"${{POD_IP}}:{GRAFANA_HA_PORT}",
            "ha_advertise_address": f"${{POD_IP}}:{GRAFANA_HA_PORT}",
        }
    return values


def kube_prometheus_stack_values(scope: MonitoringScope, obs: ObservabilitySettings, storage_class: str,
                                 secrets: GrafanaSecrets, grafana_replicas: int) -> dict[str, Any]:
    """Values of the pinned kube-prometheus-stack chart."""
    pool = scope.pool
    prom, am = obs.prometheus, obs.alertmanager
    on_pool = pool.placement
    prometheus_spec: dict[str, Any] = {
        **on_pool,
        "replicas": prom.replicas,
        "retention": f"{prom.retention_days}d",
        "retentionSize": f"{prom.retention_size_gb}GB",
        "scrapeInterval": f"{prom.scrape_interval_seconds}s",
        "evaluationInterval": f"{prom.scrape_interval_seconds}s",
        "resources": _resources(prom.cpu or "250m", f"{prom.memory_gib}Gi"),
        "storageSpec": {"volumeClaimTemplate": {"spec": {
            "storageClassName": storage_class,
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{prom.storage_gib}Gi"}},
        }}},
        # Scrape every ServiceMonitor/PodMonitor/Probe/rule in the cluster, not only this release's:
        # the GPU operator's DCGM exporter and the MLOps services bring their own monitors.
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "ruleSelectorNilUsesHelmValues": False,
        "probeSelectorNilUsesHelmValues": False,
        "scrapeConfigSelectorNilUsesHelmValues": False,
        "externalLabels": {"cluster": scope.cluster_name, "environment": scope.environment},
    }
    alerting = obs.alerting
    alertmanager_spec: dict[str, Any] = {
        **on_pool,
        "replicas": am.replicas,
        "retention": f"{am.retention_hours}h",
        "resources": _resources("50m", "128Mi", "256Mi"),
        "storage": {"volumeClaimTemplate": {"spec": {
            "storageClassName": storage_class,
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{am.storage_gib}Gi"}},
        }}},
    }
    if receiver_secrets(alerting):
        alertmanager_spec["secrets"] = [RECEIVER_SECRET]  # mounted at /etc/alertmanager/secrets/<name>/
    if prom.replicas > 1:
        # Zones only: each replica's zonal EBS volume already pins it to its AZ.
        prometheus_spec["topologySpreadConstraints"] = zone_spread(
            {"app.kubernetes.io/name": "prometheus", "prometheus": PROMETHEUS_NAME}, per_node=False)
    if am.replicas > 1:
        alertmanager_spec["topologySpreadConstraints"] = zone_spread(
            {"app.kubernetes.io/name": "alertmanager", "alertmanager": ALERTMANAGER_NAME}, per_node=False)

    # Control-plane components EKS does not expose (and kube-proxy, which binds its metrics to localhost):
    # scraping them only yields permanently-down targets and alerts that never clear.
    eks_hidden = {"enabled": False}
    return {
        # The Prometheus Operator CRDs come from their own release (components/monitoring_crds.py).
        "crds": {"enabled": False},
        "defaultRules": {"create": True, "rules": {
            "etcd": False, "kubeControllerManager": False, "kubeSchedulerAlerting": False,
            "kubeSchedulerRecording": False, "kubeProxy": False, "windows": False,
        }},
        "additionalPrometheusRulesMap": prometheus_rules(obs),
        "kubeControllerManager": eks_hidden,
        "kubeScheduler": eks_hidden,
        "kubeEtcd": eks_hidden,
        "kubeProxy": eks_hidden,
        "prometheusOperator": {
            **on_pool,
            "resources": _resources("100m", "128Mi", "256Mi"),
            "admissionWebhooks": {
                "patch": {**on_pool},
                "deployment": {**on_pool},
            },
        },
        "prometheus": {
            "prometheusSpec": prometheus_spec,
            "podDisruptionBudget": {"enabled": prom.replicas > 1, "minAvailable": 1},
        },
        "alertmanager": {
            "alertmanagerSpec": alertmanager_spec,
            "config": alertmanager_config(alerting),
            "podDisruptionBudget": {"enabled": am.replicas > 1, "minAvailable": 1},
        },
        "grafana": grafana_values(scope, obs, pool, secrets, grafana_replicas),
        "kube-state-metrics": {
            **on_pool,
            "resources": _resources("50m", "128Mi", "256Mi"),
            "metricLabelsAllowlist": [f"nodes=[{','.join(NODE_LABELS_ALLOWLIST)}]"],
        },
        # node-exporter is a DaemonSet on every node: GPU, spot, system and monitoring nodes all carry taints.
        "prometheus-node-exporter": {
            "tolerations": [{"operator": "Exists"}],
            # Scheduled even on a node packed full of GPU jobs, and the last to be evicted.
            "priorityClassName": "system-node-critical",
            "resources": _resources("20m", "32Mi", "64Mi"),
        },
    }
