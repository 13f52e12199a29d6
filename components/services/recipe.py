"""The recipe every MLOps service follows (HelmService), driven by its declaration in domain/services.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
import pulumi_kubernetes as k8s

from components.availability import disruption_budget
from components.helm import chart_release
from components.iam import ServiceAccountRole
from components.ingress import alb_ingress
from components.namespace import PlatformNamespace
from components.secret import SECRETS_CHECKSUM_ANNOTATION, env_secrets_checksum, with_pod_annotations
from components.storage import ServiceBucket
from domain.services import BOOTSTRAP_NAMESPACE, ServiceSpec
from domain.settings.services import ServiceDeployment

from .common import MONITORING_NAMESPACE, ServiceContext, bucket_with_role
from .database_bootstrap import AppDatabase


@dataclass
class ReleaseInputs:
    """What a service's builder hands the recipe: the chart values, what the release waits for, and the
    secret values its pods read through env (a change rolls the pods)."""

    values: pulumi.Input[dict[str, Any]]
    depends_on: Sequence[pulumi.Resource]
    env_secrets: Sequence[pulumi.Input[str]] = ()


class HelmService(pulumi.ComponentResource):
    """The recipe every service follows, driven by its `ServiceSpec` (domain/services.py).

    Namespace (with the Pod Security level and who may call it), its own bucket and IRSA role (if the spec
    has one), its user and database(s) made by a bootstrap Job, then `release_inputs` (the subclass: its
    Secrets and chart values), the pinned chart, a PodDisruptionBudget where the chart has none, and an
    ALB Ingress when configured. Exposes `namespace`, `service`, `bucket`/`role` (or None), `database`,
    `release`.
    """

    SPEC: ClassVar[ServiceSpec]
    POD_LABELS: ClassVar[dict[str, str]] = {}

    def __init__(self, name: str, ctx: ServiceContext, opts: pulumi.ResourceOptions | None = None):
        spec = self.SPEC
        super().__init__(f"mlplatform:services:{type(self).__name__}", name, None, opts)
        self.namespace, self.service = spec.namespace, spec.service
        deployment = ctx.deployment(spec.name)
        child = pulumi.ResourceOptions(parent=self)
        ns = PlatformNamespace(f"{name}-ns", spec.namespace, pss_level=spec.pss_level, opts=child)
        self.allow_callers(ns, deployment)
        self.bucket: ServiceBucket | None = None
        self.role: ServiceAccountRole | None = None
        if spec.bucket:
            self.bucket, self.role = bucket_with_role(
                name, ctx, purpose=spec.name, namespace=spec.namespace, service_account=spec.name, parent=self,
                extra_statements=self.bucket_statements(ctx))
        self.database = AppDatabase(
            f"{name}-db", server=ctx.databases[spec.name], user=spec.database.user,
            databases=list(spec.database.names), namespace=BOOTSTRAP_NAMESPACE, placement=deployment.placement,
            prerequisites=ctx.bootstrap_ready, depends_on=ctx.nodes_ready(spec.name), opts=child)
        inputs = self.release_inputs(name, ctx, deployment, ns)
        checksum = env_secrets_checksum(inputs.env_secrets)
        values = pulumi.Output.all(inputs.values, checksum).apply(
            lambda a: with_pod_annotations(a[0], {SECRETS_CHECKSUM_ANNOTATION: a[1]}))
        self.release = chart_release(
            f"{name}-release", spec.chart, spec.namespace, values,
            pulumi.ResourceOptions(parent=self, depends_on=[ns, *inputs.depends_on, self.database.job,
                                                            *ctx.release_after(spec.name)]),
            release_name=spec.name)
        if not spec.chart_pdb:
            self.disruption_budget = disruption_budget(
                f"{name}-pdb", namespace=spec.namespace, metadata_name=spec.name, match_labels=self.POD_LABELS,
                replicas=deployment.replicas, parent=self, depends_on=[ns])
        self.after_release(name, ctx, deployment, ns)
        expose(name, ctx, spec, parent=self, after=[self.release])
        outputs: dict[str, Any] = {"namespace": spec.namespace}
        outputs.update({"bucket": self.bucket.name} if self.bucket is not None else {"service": spec.service})
        self.register_outputs(outputs)

    def allow_callers(self, ns: PlatformNamespace, deployment: ServiceDeployment) -> None:
        """Who may reach the pods: monitoring and the service's client namespaces, on its container port."""
        ns.allow_ingress("clients", self.SPEC.container_port, [MONITORING_NAMESPACE, *deployment.client_namespaces])

    def bucket_statements(self, ctx: ServiceContext) -> Callable[[str], list[dict[str, Any]]] | None:
        """IAM statements of the service's role beyond its bucket, from the account id (None: the bucket only)."""
        return None

    def release_inputs(self, name: str, ctx: ServiceContext, deployment: ServiceDeployment,
                       ns: PlatformNamespace) -> ReleaseInputs:
        raise NotImplementedError

    def after_release(self, name: str, ctx: ServiceContext, deployment: ServiceDeployment,
                      ns: PlatformNamespace) -> None:
        """What runs against the started service (Keycloak: its realm configuration Job)."""


def expose(name: str, ctx: ServiceContext, spec: ServiceSpec, *, parent: pulumi.Resource,
           after: Sequence[pulumi.Resource]) -> k8s.networking.v1.Ingress | None:
    """The service's ALB Ingress when `services.<name>.ingress.enabled`, else nothing."""
    ingress = ctx.deployment(spec.name).settings.ingress
    if not ingress.enabled:
        return None
    controller = [ctx.ingress_controller] if ctx.ingress_controller is not None else []
    return alb_ingress(f"{name}-ingress", namespace=spec.namespace, ingress=ingress, service=spec.service,
                       service_port=spec.service_port, target_port=spec.container_port,
                       health_check_path=spec.health_check_path, vpc_cidr=ctx.vpc_cidr, group=ctx.layer.cluster_name,
                       pod_selector=None, parent=parent, depends_on=[*after, *controller])
