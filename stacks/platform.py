"""Composition of the platform: which components exist and how they depend on each other.

Dependencies are explicit so that the deployment graph stays shallow: network -> cluster -> the
system pool -> add-ons; other pools and add-ons do not wait on each other. Two rules of the first deploy
(checked by stacks/review/first_deploy.py on every plan):
- whatever waits for ready pods is created after a pool that can run them: its own pool's node group,
  and Cluster Autoscaler as well when that pool starts at zero (`pool_capacity`);
- whatever creates monitoring objects waits for the Prometheus Operator CRDs only (installed on their own
  right after the cluster), never for kube-prometheus-stack, its Grafana database or RDS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.backup import PlatformBackup
from components.cluster import EksCluster
from components.cluster_access import access_grants
from components.coredns import CoreDns
from components.deploy_runner import DeployRunner
from components.gpu import GpuStack
from components.identity import OidcClient
from components.keda import Keda
from components.metrics_server import MetricsServer
from components.monitoring_crds import PrometheusOperatorCrds
from components.network import Network
from components.node_pools import NodePools
from components.observability import MonitoringScope, Observability
from components.services import PlatformServices, make_oidc_clients
from components.storage_class import ClusterStorage
from domain.settings import PlatformSettings
from domain.settings.gpu_layer import gpu_layer
from domain.settings.node_pools import NodePoolSettings


def platform_backup(settings: PlatformSettings, services: PlatformServices,
                    opts: pulumi.ResourceOptions) -> PlatformBackup | None:
    """AWS Backup of the services' databases (restored ones and the originals they replaced) and buckets."""
    if not settings.backup.enabled or services.account_id is None:
        return None
    resources = services.data_arns()
    if not resources:
        return None
    return PlatformBackup("backup", settings.backup, vault_name=f"{settings.cluster_name}-backups",
                          account_id=services.account_id, resources=resources,
                          protect=settings.protect_stateful_resources, opts=opts)


@dataclass
class Platform:
    settings: PlatformSettings
    network: Network
    cluster: EksCluster
    node_pools: NodePools
    storage: ClusterStorage
    gpu: GpuStack
    observability: Observability
    monitoring_crds: PrometheusOperatorCrds
    metrics_server: MetricsServer
    services: PlatformServices | None = None
    keda: Keda | None = None
    backup: PlatformBackup | None = None
    # OIDC clients of Keycloak's platform realm by client id ("grafana", "mlflow"); empty without Keycloak.
    oidc_clients: dict[str, OidcClient] = field(default_factory=dict)
    # The CI runner inside the VPC (ci.runner 'codebuild'); None when CI runs outside.
    runner: DeployRunner | None = None


def waits_for(*resources: pulumi.Resource) -> pulumi.ResourceTransformation:
    """Make every resource inside a component wait for `resources`.

    A component's own `depends_on` does not reach its children; a transformation does, because
    transformations are inherited by children.
    """

    def add_dependencies(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(depends_on=list(resources)))
        return pulumi.ResourceTransformationResult(args.props, opts)

    return add_dependencies


def pool_capacity(pools: list[NodePoolSettings], groups: Mapping[str, pulumi.Resource],
                  autoscaler: pulumi.Resource | None) -> dict[str, list[pulumi.Resource]]:
    """Pool name -> what a pod pinned to the pool waits for on the first deploy: the pool's node group, and
    Cluster Autoscaler when the pool starts with no node (minSize 0), since only it can add one."""
    return {p.name: [groups[p.name], *([autoscaler] if p.min_size == 0 and autoscaler is not None else [])]
            for p in pools}


def build_platform(settings: PlatformSettings) -> Platform:
    aws_provider = aws.Provider("aws", region=settings.region,
                                default_tags={"tags": settings.resource_tags})
    with_aws = pulumi.ResourceOptions(providers={"aws": aws_provider})

    network = Network("network", settings.network, settings.cluster_name, settings.region, opts=with_aws)
    cluster = EksCluster("cluster", settings.cluster, cluster_name=settings.cluster_name,
                         protect=settings.protect_stateful_resources, tags=settings.resource_tags,
                         access=access_grants(settings), vpc_id=network.vpc_id,
                         private_subnet_ids=network.private_subnet_ids,
                         public_subnet_ids=network.public_subnet_ids, opts=with_aws)
    # CI reaches the private API from inside the VPC; created with the cluster in a first deploy (README).
    runner = DeployRunner("ci-runner", settings.ci, settings.cluster_name, settings.region, network.vpc_id,
                          network.private_subnet_ids, cluster.node_security_group_id,
                          opts=with_aws) if settings.ci.runner == "codebuild" else None
    node_pools = NodePools("pools", settings.pools, cluster.eks, settings.cluster_name,
                           network.private_subnet_ids, settings.resource_tags,
                           kubernetes_version=settings.cluster.version, opts=with_aws)
    system_pool = node_pools.groups[settings.system_pool.name]
    # Add-ons run on the system pool: wait for it, and only for it.
    after_system = pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": cluster.k8s_provider},
                                          depends_on=[system_pool], transformations=[waits_for(system_pool)])
    CoreDns("coredns", cluster_name=cluster.name, version=settings.cluster.addon_versions["coredns"],
            system_pool=settings.system_pool, opts=after_system)
    storage = ClusterStorage("storage", addon_versions=settings.cluster.addon_versions,
                             system_pool=settings.system_pool, reclaim_policy=settings.cluster.volume_reclaim_policy,
                             cluster_name=cluster.name, oidc=cluster.oidc, k8s_provider=cluster.k8s_provider,
                             opts=after_system)
    # Nothing else that creates monitoring objects waits for the monitoring stack: only for these CRDs.
    crds = PrometheusOperatorCrds("monitoring-crds", protect=settings.protect_stateful_resources,
                                  depends_on=[cluster.eks], opts=pulumi.ResourceOptions(
                                      providers={"kubernetes": cluster.k8s_provider}))
    monitoring_crds = [crds.release]
    metrics_server = MetricsServer("metrics-server", system_pool=settings.system_pool, opts=after_system)
    # GPU layer: PriorityClasses, Cluster Autoscaler, gpu-operator, team namespaces (components/gpu). It waits
    # for the system pool and the CRDs of its ServiceMonitors, never for monitoring or a database.
    gpu = GpuStack("gpu", gpu_layer(settings), cluster.oidc, monitoring_depends_on=monitoring_crds, opts=after_system)
    capacity = pool_capacity(settings.pools, node_pools.groups,
                             gpu.autoscaler.release if gpu.autoscaler is not None else None)
    # OIDC client secrets are generated apart from Keycloak, so their consumers (Grafana) need not wait.
    services_settings = settings.services_layer()
    oidc_clients = make_oidc_clients(services_settings, opts=with_aws)
    # MLOps services (components/services) in one call: their shared storage (KMS, RDS, bootstrap namespace),
    # the ALB controller if any (system pool), Grafana's database on their PostgreSQL, then every service,
    # whose pods wait for their own pool only and whose ServiceMonitors wait for the CRDs.
    services = PlatformServices(
        "services", services_settings, oidc=cluster.oidc, oidc_clients=oidc_clients,
        monitoring_crds=monitoring_crds, vpc_id=network.vpc_id, vpc_cidr=network.vpc_cidr,
        private_subnet_ids=network.private_subnet_ids, node_security_group_id=cluster.node_security_group_id,
        node_groups=capacity,
        opts=pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": cluster.k8s_provider}))
    # Monitoring: its pods run on the monitoring pool and keep data on gp3-encrypted volumes, so the
    # Helm release waits for both (namespace, secrets and dashboards do not), for its CRDs (the chart's own
    # are off) and for Grafana's database (its bootstrap Job runs on the monitoring pool). Grafana logs in
    # via Keycloak.
    controller = services.ingress_controller.release if services.ingress_controller is not None else None
    observability = Observability(
        "observability", settings.observability, MonitoringScope.of(settings),
        storage_class_name=storage.storage_class_name,
        grafana_oidc=oidc_clients.get("grafana"), grafana_database=services.grafana_database,
        ingress_controller=controller, vpc_cidr=network.vpc_cidr,
        release_depends_on=[*capacity[settings.observability.pool], storage.storage_class, *monitoring_crds],
        opts=after_system)
    backup = platform_backup(settings, services, opts=with_aws)
    # KEDA (system pool): serving scales on Prometheus and SQS; its ServiceMonitors need the monitoring CRDs.
    keda = Keda("keda", system_pool=settings.system_pool, region=settings.region, oidc=cluster.oidc,
                vpc_cidr=network.vpc_cidr, replicas=2 if settings.is_production else 1,
                depends_on=monitoring_crds, opts=after_system)
    return Platform(settings, network, cluster, node_pools, storage, gpu, observability, crds, metrics_server,
                    services=services, oidc_clients=oidc_clients, keda=keda, runner=runner, backup=backup)
