"""The root settings object: everything one stack of the platform needs, validated together."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from domain.ci import ROLE_PURPOSES, role_name
from domain.services import service_spec

from .backup import BackupSettings
from .base import Settings, SettingsError
from .cluster import CiSettings, ClusterSettings
from .gpu import GpuSettings
from .network import MAX_AZS, NetworkSettings
from .node_pools import (
    NODE_GROUP_NAME_MAX,
    UNIQUE_SUFFIX_LENGTH,
    NodePoolSettings,
    node_group_name_fits,
    zonal_suffix,
)
from .observability import ObservabilitySettings
from .services import GrafanaDatabasePlacement, ServiceDeployment, ServicesLayerSettings, ServicesSettings
from .teams import TeamSettings

PROD_FLOW_LOG_DAYS = 365
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_TAG_KEY = re.compile(r"^[\w .:/=+\-@]{1,128}$")


class PlatformSettings(Settings):
    project: str = Field(default="mlplatform", description="Pulumi project name; set by the loader.")
    stack: str = Field(description="Stack name; set by the loader.")
    environment: Literal["dev", "staging", "prod"] = Field(description="dev, staging or prod: the defaults the stack's config is merged over.")
    region: str = Field(default="us-west-2", description="AWS region of the stack (from aws:region).")
    protect_stateful_resources: bool = Field(default=True, description="Pulumi protect (and retainOnDelete where data lives) on the KMS key, cluster, databases and buckets; must stay true in prod.")
    tags: dict[str, str] = Field(default_factory=dict, description="Extra AWS tags on every resource (the provider's default tags).")
    network: NetworkSettings = Field(default_factory=NetworkSettings, description="VPC layout: CIDR, AZs, NAT gateways, flow logs.")
    cluster: ClusterSettings = Field(default_factory=ClusterSettings, description="EKS control plane: version, endpoint access, admins, logs, add-ons, protection.")
    ci: CiSettings = Field(default_factory=CiSettings, description=(
        "Where CI runs previews and deploys of the stack: its own CodeBuild-hosted runner in the VPC (the "
        "default) or outside (needs a public endpoint)."))
    node_pools: list[NodePoolSettings] = Field(description="Node pools, one EKS managed node group each; entries merge into the environment's pools by name.")
    gpu: GpuSettings = Field(default_factory=GpuSettings, description="GPU stack: NVIDIA gpu-operator, MIG, time-slicing, smoke test, Cluster Autoscaler.")
    teams: list[TeamSettings] = Field(default_factory=list, description="Team namespaces with GPU, CPU and memory quotas and an owners group.")
    services: ServicesSettings = Field(default_factory=ServicesSettings, description="MLOps services (Keycloak, MLflow, ZenML, lakeFS) and their databases and buckets.")
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings, description="kube-prometheus-stack: sizes, Grafana, alert thresholds, alert routing, the inference SLO.")
    backup: BackupSettings = Field(
        default_factory=BackupSettings,
        description="AWS Backup of the services' databases and buckets: schedule, retention, vault lock, copy.")
    # Names (never values) of the stack's secret config keys outside the settings, e.g. the alerting
    # secrets; set by the loader. None: not known (settings built without a stack's config), not checked.
    secret_config_keys: frozenset[str] | None = Field(default=None, exclude=True, description="Names (never values) of the stack's secret config keys outside the settings; set by the loader.")

    @field_validator("region")
    @classmethod
    def _valid_region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError(f"'{value}' is not an AWS region. Fix: set aws:region to a region such as us-west-2.")
        return value

    @field_validator("tags")
    @classmethod
    def _valid_tags(cls, value: dict[str, str]) -> dict[str, str]:
        for key, val in value.items():
            if not _TAG_KEY.match(key) or key.lower().startswith("aws:") or len(str(val)) > 256:
                raise ValueError(f"tag '{key}' is not a valid AWS tag. Fix: use keys of at most 128 characters, not starting with 'aws:', and values of at most 256.")
        return value

    # Cross-section checks: each problem carries its own config key. -------------------------------

    @model_validator(mode="after")
    def _cross_checks(self) -> PlatformSettings:
        problems = self.cross_section_problems()
        if problems:
            raise SettingsError(problems)
        return self

    def cross_section_problems(self) -> list[str]:
        ns = self.project
        problems: list[str] = []
        system = [p for p in self.pools if p.kind == "system"]
        if len(system) != 1:
            problems.append(
                f"{ns}:nodePools: found {len(system)} enabled pools of kind 'system'; add-ons need exactly one. "
                "Fix: keep one system pool enabled."
            )
        if self.environment == "prod":
            if self.cluster.open_to_world():
                problems.append(
                    f"{ns}:cluster.publicAccessCidrs: prod's API endpoint is open to 0.0.0.0/0. "
                    "Fix: set endpointPublicAccess to false (reach the API over VPN/Direct Connect) or list narrow CIDRs."
                )
            if self.network.az_count < MAX_AZS:
                problems.append(f"{ns}:network.azCount: prod needs {MAX_AZS} AZs to survive an AZ outage. Fix: set azCount to {MAX_AZS}.")
            if not self.network.flow_logs:
                problems.append(f"{ns}:network.flowLogs: prod records VPC flow logs. Fix: set flowLogs to true.")
            elif self.network.flow_logs_retention_days < PROD_FLOW_LOG_DAYS:
                problems.append(f"{ns}:network.flowLogsRetentionDays: prod keeps VPC flow logs for at least a year "
                                f"({PROD_FLOW_LOG_DAYS} days). Fix: remove the override (it defaults to {PROD_FLOW_LOG_DAYS}).")
            if self.network.nat_gateways != "per_az":
                problems.append(f"{ns}:network.natGateways: prod needs a NAT gateway per AZ so that one AZ cannot cut egress. Fix: set natGateways to per_az.")
            azs = self.network.az_count
            if system and system[0].min_size < azs:
                problems.append(f"{ns}:nodePools[system].minSize: prod keeps a system node in each of its {azs} AZs so "
                                f"that add-ons survive an AZ outage. Fix: set minSize to {azs} or more.")
            if not self.protect_stateful_resources:
                problems.append(f"{ns}:protectStatefulResources: prod data must be protected from destroy. Fix: remove the override (it defaults to true).")
            if not self.cluster.deletion_protection:
                problems.append(f"{ns}:cluster.deletionProtection: prod's cluster must have deletion protection. Fix: set it to true.")
        problems += self.access_problems()
        for pool in self.pools:
            if pool.release_version and pool.release_minor and pool.release_minor != self.cluster.version:
                problems.append(
                    f"{ns}:nodePools[{pool.name}].releaseVersion: AMI release {pool.release_version} is built for "
                    f"Kubernetes {pool.release_minor}, but cluster.version is {self.cluster.version}. Fix: set the "
                    f"release_version of a {self.cluster.version} AMI, or remove it when bumping cluster.version.")
        problems += self.node_group_name_problems()
        problems += self.gpu.problems(self)
        problems += [p for team in self.teams for p in team.problems(self)]
        names = [t.name for t in self.teams]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.append(f"{ns}:teams: duplicate team names {dupes}. Fix: give every team a unique name.")
        problems += self.services.problems(self)
        problems += self.backup.problems(ns, self.environment, self.region)
        problems += self.observability.problems(self)
        unread = sorted((self.secret_config_keys or frozenset()) - self.observability.alerting.secret_keys)
        if unread:
            problems += [f"{ns}:{key}: secret config that no setting reads. Fix: name it in "
                         f"observability.alerting.receivers[].secretKey, or remove it (pulumi config rm {ns}:{key})."
                         for key in unread]
        return problems

    def node_group_name_problems(self) -> list[str]:
        """Each pool's node group is named `<cluster>-<pool>[-azN]-` + a 26-character suffix, at most 63 in all.
        Too long for the system pool (always there): the cluster name is at fault; else the pools that overflow."""
        budget = NODE_GROUP_NAME_MAX - UNIQUE_SUFFIX_LENGTH - 2  # characters left for cluster and pool names

        def suffix(pool: NodePoolSettings) -> str:
            return zonal_suffix(self.network.az_count - 1) if pool.per_az else ""

        too_long = [p.name for p in self.pools if not node_group_name_fits(self.cluster_name, p.name, suffix(p))]
        if not too_long:
            return []
        why = (f"an EKS node group name is `<cluster>-<pool>-` plus a {UNIQUE_SUFFIX_LENGTH}-character unique "
               f"suffix, at most {NODE_GROUP_NAME_MAX} characters, so cluster and pool names share {budget}")
        cluster = self.cluster_name
        by_name = {p.name: p for p in self.pools}
        system = next((p.name for p in self.pools if p.kind == "system"), "system")
        if system in too_long:
            longest = max(too_long, key=lambda n: len(n) + len(suffix(by_name[n])))
            key = "cluster.name" if self.cluster.name else "cluster.name (default mlplatform-<stack>)"
            return [f"{self.project}:{key}: '{cluster}' ({len(cluster)} characters) is too long for node pools "
                    f"{too_long}: {why}. Fix: set cluster.name to at most "
                    f"{budget - len(longest) - len(suffix(by_name[longest]))} characters."]
        return [f"{self.project}:nodePools[{pool}].name: '{pool}' is too long for cluster '{cluster}': {why} "
                f"(perAz groups add '-azN'). Fix: shorten the pool name to at most "
                f"{budget - len(cluster) - len(suffix(by_name[pool]))} characters, or cluster.name."
                for pool in too_long]

    def access_problems(self) -> list[str]:
        """CI must reach the API, and every IAM principal gets exactly one access entry."""
        ns = self.project
        problems: list[str] = []
        if self.ci.runner == "external" and not self.cluster.endpoint_public_access:
            problems.append(
                f"{ns}:ci.runner: 'external' runs CI outside the VPC, but cluster.endpointPublicAccess is false: no "
                "preview or deploy could reach the private API. Fix: set ci.runner to codebuild (a runner in the "
                "stack's private subnets), or turn on endpointPublicAccess with the runners' egress in publicAccessCidrs."
            )
        derived = {role_name(self.project, self.environment, p): p for p in ROLE_PURPOSES}
        seen: dict[str, str] = {}
        listed = [("cluster.adminPrincipalArns", arn) for arn in self.cluster.admin_principal_arns]
        listed += [(f"teams[{t.name}].roleArns", arn) for t in self.teams for arn in t.role_arns]
        for key, arn in listed:
            name = arn.rsplit("/", 1)[-1]
            if arn.split(":")[5].startswith("role/") and name in derived:
                problems.append(
                    f"{ns}:{key}: {arn} is the {derived[name]} role, which already has its access entry "
                    f"({'EKS creator entry' if derived[name] == 'deploy' else 'created by the platform'}); a second "
                    "entry for the same principal fails the create (pulumi-eks#2373). Fix: remove it from the list.")
            elif arn in seen:
                problems.append(f"{ns}:{key}: {arn} is also in {seen[arn]}; EKS allows one access entry per "
                                "principal. Fix: keep it in one place.")
            seen.setdefault(arn, key)
        return problems

    def ci_role_name(self, purpose: str) -> str:
        """Name of the environment's deploy, preview or break-glass role (created by bootstrap/)."""
        return role_name(self.project, self.environment, purpose)

    # Lookups ----------------------------------------------------------------------------------------

    @property
    def pools(self) -> list[NodePoolSettings]:
        """The enabled node pools."""
        return [p for p in self.node_pools if p.enabled]

    @property
    def gpu_pools(self) -> list[NodePoolSettings]:
        return [p for p in self.pools if p.is_gpu]

    @property
    def system_pool(self) -> NodePoolSettings:
        return next(p for p in self.pools if p.kind == "system")

    def pool(self, name: str) -> NodePoolSettings | None:
        return next((p for p in self.pools if p.name == name), None)

    @property
    def settings_keys(self) -> frozenset[str]:
        """Every key of the settings, as config spells them."""
        return frozenset(f.alias or n for n, f in type(self).model_fields.items())

    @property
    def cluster_name(self) -> str:
        return self.cluster.name or f"{self.project}-{self.stack}"

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"

    def services_layer(self) -> ServicesLayerSettings:
        """The services layer's narrow settings, resolved from this platform (each enabled service's pool,
        placement, replicas and callers; where the ALB controller and Grafana's database
        Job run)."""
        services = self.services
        deployments = {
            name: ServiceDeployment(
                spec=service_spec(name), settings=services.service(name), pool=services.pool_name(name, self),
                placement=services.pool_for(name, self).placement, replicas=services.service(name).replicas,
                client_namespaces=tuple(services.client_namespaces(name, self)))
            for name in services.enabled_services
        }
        grafana = self.observability.grafana
        monitoring = self.pool(self.observability.pool)
        # (A missing monitoring pool is a settings error reported by the observability settings.)
        grafana_database = (GrafanaDatabasePlacement(monitoring.name, monitoring.placement)
                            if grafana.database == "postgres" and monitoring is not None else None)
        return ServicesLayerSettings(
            settings=services, deployments=deployments, cluster_name=self.cluster_name, region=self.region,
            protect=self.protect_stateful_resources, log_retention_days=self.cluster.log_retention_days,
            system_pool=self.system_pool.name, system_placement=self.system_pool.placement,
            grafana_ingress=grafana.ingress, grafana_database=grafana_database)

    @property
    def resource_tags(self) -> dict[str, str]:
        """Tags on every AWS resource (the provider's default tags carry them too)."""
        return {
            "project": self.project,
            "environment": self.environment,
            "stack": self.stack,
            "managed-by": "pulumi",
            **self.tags,
        }
