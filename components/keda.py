"""KEDA: event-driven autoscaling of the platform's workloads (ScaledObject, ScaledJob).

The pinned chart runs in namespace `keda` on the system pool. Its operator has its own IRSA role, which
may only assume the per-service scaler roles teams create under the IAM path `/keda-scalers/` (an SQS
queue reader each, trusted by this role alone): KEDA never holds a broad SQS permission, and one team's
ScaledObject cannot read another team's queue. The operator, metrics API server and admission webhooks
are scraped by kube-prometheus-stack through the chart's ServiceMonitors.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.availability import zone_spread
from components.helm import chart_release
from components.iam import OidcIdentity, ServiceAccountRole, policy_document
from components.ingress import allow_from_cidr_spec
from components.kube import api_fields
from components.namespace import NAMESPACE_NAME_LABEL, PlatformNamespace
from components.storage.names import partition
from domain.settings.node_pools import NodePoolSettings
from domain.settings.observability import MONITORING_NAMESPACE
from domain.versions import CHARTS

NAMESPACE = RELEASE = "keda"
OPERATOR_SERVICE_ACCOUNT = "keda-operator"  # the chart's serviceAccount.operator.name
METRICS_PORT = 8080  # prometheus.{operator,metricServer,webhooks}.port
PROMETHEUS_PORT = 9090  # kube-prometheus-stack's Prometheus
METRICS_API_PORT = 6443  # service.portHttpsTarget: the external metrics API the API server calls
WEBHOOK_PORT = 9443  # the admission webhooks' container port
SCALER_ROLE_PATH = "/keda-scalers/"  # IAM path of the roles the operator may assume
# The `app` label of each part's pods (values.yaml's own anti-affinity example names them).
POD_APP_LABELS = {"operator": "keda-operator", "metricsServer": "keda-operator-metrics-apiserver",
                  "webhooks": "keda-admission-webhooks"}


def scaler_role_pattern(account_id: str, region: str) -> str:
    return f"arn:{partition(region)}:iam::{account_id}:role{SCALER_ROLE_PATH}*"


def keda_operator_policy(account_id: str, region: str) -> str:
    """The operator's own permissions: assume a scaler role under /keda-scalers/, nothing else."""
    return policy_document([{"Sid": "AssumeScalerRoles", "Effect": "Allow", "Action": "sts:AssumeRole",
                             "Resource": scaler_role_pattern(account_id, region)}])


def keda_values(system_pool: NodePoolSettings, *, role_arn: str, replicas: int,
                service_monitors: bool = True) -> dict[str, Any]:
    """Chart values: system pool, IRSA for the operator, metrics for Prometheus, PDBs with 2+ replicas."""
    monitor = {"enabled": service_monitors, "serviceMonitor": {"enabled": service_monitors}}
    budget = {"minAvailable": replicas - 1} if replicas > 1 else {}
    return {
        "crds": {"install": True},
        "operator": {"replicaCount": replicas},  # one leader; a second replica shortens failover
        "metricsServer": {"replicaCount": replicas},
        "webhooks": {"replicaCount": replicas},
        **system_pool.placement,
        "priorityClassName": "system-cluster-critical",  # scaling must survive node pressure
        "podIdentity": {"aws": {"irsa": {"enabled": True, "roleArn": role_arn}}},
        "podDisruptionBudget": {"operator": dict(budget), "metricServer": dict(budget), "webhooks": dict(budget)},
        "topologySpreadConstraints": {part: zone_spread({"app": app}) if replicas > 1 else []
                                      for part, app in POD_APP_LABELS.items()},
        "resources": {part: {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}
                      for part in ("operator", "metricServer", "webhooks")},
        "prometheus": {"operator": monitor, "metricServer": monitor, "webhooks": monitor},
    }


def prometheus_access_spec(from_namespace: str) -> dict[str, Any]:
    """NetworkPolicy spec in the monitoring namespace: `from_namespace` may query Prometheus."""
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: from_namespace}}}],
                         "ports": [{"port": PROMETHEUS_PORT, "protocol": "TCP"}]}]}


class Keda(pulumi.ComponentResource):
    """The KEDA release with its namespace, network policies and operator role. Exposes `role` and `release`."""

    def __init__(self, name: str, *, system_pool: NodePoolSettings, region: str, oidc: OidcIdentity,
                 vpc_cidr: pulumi.Input[str], replicas: int = 1, service_monitors: bool = True,
                 depends_on: Sequence[pulumi.Resource] = (), opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:autoscaling:Keda", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace = PlatformNamespace(f"{name}-ns", NAMESPACE, pss_level="restricted",
                                      allow_from_namespaces=[MONITORING_NAMESPACE], opts=child)
        # The API server reaches the metrics API and the webhooks from the control plane's ENIs in the VPC.
        cidr = pulumi.Output.from_input(vpc_cidr)
        for port in (METRICS_API_PORT, WEBHOOK_PORT):
            k8s.networking.v1.NetworkPolicy(
                f"{name}-allow-control-plane-{port}",
                metadata={"name": f"allow-control-plane-{port}", "namespace": NAMESPACE},
                spec=api_fields(cidr.apply(partial(allow_from_cidr_spec, port=port))),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace.namespace]))
        # The operator queries Prometheus (ScaledObjects' prometheus triggers) across the monitoring namespace's
        # default-deny.
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-to-prometheus",
            metadata={"name": "allow-keda", "namespace": MONITORING_NAMESPACE},
            spec=api_fields(prometheus_access_spec(NAMESPACE)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)))
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self.role = ServiceAccountRole(f"{name}-operator", oidc, NAMESPACE, OPERATOR_SERVICE_ACCOUNT,
                                       policy=account_id.apply(lambda a: keda_operator_policy(a, region)),
                                       opts=child)
        values = self.role.arn.apply(lambda arn: keda_values(system_pool, role_arn=arn, replicas=replicas,
                                                             service_monitors=service_monitors))
        self.release = chart_release(f"{name}-release", CHARTS["keda"], NAMESPACE, values,
                                     pulumi.ResourceOptions(parent=self, depends_on=[namespace.namespace, *depends_on]),
                                     release_name=RELEASE)
        self.register_outputs({"operator_role_arn": self.role.arn})
