"""ModelService and ProcessingService: the Pulumi glue around the pure builders in specs.py.

A team's program (examples/) builds them with the platform's pool and team settings and the platform's
deploy-time values (PlatformEndpoints, from its stack outputs). Arguments are validated before any resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic.alias_generators import to_snake

import components.serving.specs as specs
from components.iam import OidcIdentity, ServiceAccountRole, policy_document
from components.ingress import ingress_annotations
from components.keda import SCALER_ROLE_PATH
from domain.settings.node_pools import NodePoolSettings
from domain.settings.teams import TeamSettings

from .args import (
    ModelServiceArgs,
    ProcessingServiceArgs,
    ServingArgsError,
    parse,
    placement_problems,
)
from .specs import Manifest, Runtime

FETCH_SCRIPT = (Path(__file__).with_name("model_fetch.py")).read_text()
# Ingresses of all serving services share one ALB per scheme (an IngressGroup).
INGRESS_GROUP = "serving"
CUSTOM_KINDS = ("ScaledObject", "TriggerAuthentication", "ServiceMonitor")


@dataclass(frozen=True)
class PlatformEndpoints:
    """What a serving program needs from the platform stack (its outputs), as Inputs."""

    oidc: OidcIdentity
    artifact_bucket: pulumi.Input[str]  # serviceBuckets.mlflow
    artifact_key_arn: pulumi.Input[str] | None  # the services' data key (SSE-KMS of the bucket), if known
    keda_operator_role_arn: pulumi.Input[str]  # kedaOperatorRoleArn
    prometheus_url: pulumi.Input[str]  # prometheusUrl
    vpc_cidr: pulumi.Input[str]
    region: str


def create(manifest: Manifest, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """Register one manifest with pulumi_kubernetes (CRDs as CustomResource)."""
    body = dict(manifest.body)
    if manifest.kind in CUSTOM_KINDS:
        return k8s.apiextensions.CustomResource(manifest.name, api_version=manifest.api_version, kind=manifest.kind,
                                                metadata=body.pop("metadata"), spec=body.pop("spec"), opts=opts)
    cls: Any = {
        "Deployment": k8s.apps.v1.Deployment, "Service": k8s.core.v1.Service,
        "ServiceAccount": k8s.core.v1.ServiceAccount, "ConfigMap": k8s.core.v1.ConfigMap,
        "PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget, "Ingress": k8s.networking.v1.Ingress,
        "NetworkPolicy": k8s.networking.v1.NetworkPolicy,
    }[manifest.kind]
    if manifest.kind == "Deployment":
        # The autoscaler owns the replica count once the Deployment exists.
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=["spec.replicas"]))
    # Top-level fields are constructor arguments (snake_case); nested ones stay as in YAML.
    return cls(manifest.name, **{to_snake(k): v for k, v in body.items()}, opts=opts)


def validate_model_service(name: str, args: ModelServiceArgs | dict, *, namespace: str, pool: NodePoolSettings,
                           team: TeamSettings) -> ModelServiceArgs:
    """Parse and check a ModelService's arguments against the platform's contract; raise ServingArgsError."""
    parsed = args if isinstance(args, ModelServiceArgs) else parse(ModelServiceArgs, args, name)
    assert isinstance(parsed, ModelServiceArgs)
    problems = placement_problems(parsed, pool, team)
    if namespace != team.name:
        problems.append(f"{name}: namespace '{namespace}' is not team '{team.name}'s namespace. Fix: deploy "
                        "into the team's own namespace (its quota and priority rights apply there).")
    if problems:
        raise ServingArgsError(name, problems)
    return parsed


class ModelService(pulumi.ComponentResource):
    """A model from the MLflow registry served on the platform, online (HTTP, canaries) or batch (SQS, from zero).

    Exposes `args`, `manifests` (what it created), `url` (in-cluster URL of the stable version or the
    ALB host), `queue` (batch), `role` (the pods' IRSA role), `digest_gaps` (images pinned by tag only).
    """

    def __init__(self, name: str, args: ModelServiceArgs | dict, *, namespace: str, pool: NodePoolSettings,
                 team: TeamSettings, platform: PlatformEndpoints, opts: pulumi.ResourceOptions | None = None):
        parsed = validate_model_service(name, args, namespace=namespace, pool=pool, team=team)
        super().__init__("mlplatform:serving:ModelService", name, None, opts)
        self.args = a = parsed
        child = pulumi.ResourceOptions(parent=self)
        region = platform.region

        experiments = [v.model.experiment_id for v in a.versions]
        statements: Any = pulumi.Output.all(platform.artifact_bucket, platform.artifact_key_arn).apply(
            lambda x: specs.model_reader_statements(x[0], experiments, region)
            + ([specs.kms_read_statement(x[1], x[0], region)] if x[1] else []))
        self.queue: aws.sqs.Queue | None = None
        rt_extra: dict[str, Any] = {}
        if a.mode == "batch":
            dead_letter = aws.sqs.Queue(f"{name}-dlq", **specs.dead_letter_args(a), opts=child)
            self.queue = aws.sqs.Queue(
                f"{name}-queue", **specs.queue_args(a),
                redrive_policy=dead_letter.arn.apply(lambda arn: specs.redrive_policy(arn, a.batch.max_receive_count)),
                opts=child)
            aws.sqs.RedriveAllowPolicy(f"{name}-dlq-allow", queue_url=dead_letter.url,
                                       redrive_allow_policy=self.queue.arn.apply(specs.redrive_allow_policy),
                                       opts=child)
            statements = pulumi.Output.all(statements, self.queue.arn).apply(
                lambda x: x[0] + specs.queue_worker_statements(x[1]))
            scaler = aws.iam.Role(f"{name}-scaler", path=SCALER_ROLE_PATH,
                                  assume_role_policy=pulumi.Output.from_input(platform.keda_operator_role_arn)
                                  .apply(specs.scaler_trust_policy),
                                  description=f"KEDA reads the depth of {namespace}/{name}'s queue", opts=child)
            aws.iam.RolePolicy(f"{name}-scaler", role=scaler.id,
                               policy=self.queue.arn.apply(specs.queue_scaler_policy), opts=child)
            rt_extra = {"queue_url": self.queue.url, "scaler_role_arn": scaler.arn}
        self.role = ServiceAccountRole(f"{name}-pods", platform.oidc, namespace, a.name,
                                       policy=pulumi.Output.from_input(statements).apply(policy_document), opts=child)
        rt = Runtime(model_role_arn=self.role.arn, artifact_bucket=platform.artifact_bucket, region=region,
                     prometheus_url=platform.prometheus_url, vpc_cidr=platform.vpc_cidr, **rt_extra)
        annotations = ingress_annotations(a.ingress, a.readiness_path, INGRESS_GROUP) if a.ingress else {}
        self.manifests = specs.model_service_manifests(a, namespace, pool, rt, FETCH_SCRIPT, annotations)
        self.resources = {f"{m.kind}/{m.name}": create(m, child) for m in self.manifests}
        stable = a.versions[0]
        self.url = (f"https://{a.ingress.host}" if a.ingress is not None
                    else f"http://{specs.track_name(a, stable)}.{namespace}.svc.cluster.local")
        self.digest_gaps = specs.unpinned_images(self.manifests)
        self.register_outputs({"url": self.url, "role_arn": self.role.arn,
                               "queue_url": self.queue.url if self.queue is not None else None})


class ProcessingService(pulumi.ComponentResource):
    """A CPU FastAPI pre/post-processing service calling a model service; updated independently of it."""

    def __init__(self, name: str, args: ProcessingServiceArgs | dict, *, namespace: str, pool: NodePoolSettings,
                 platform: PlatformEndpoints, opts: pulumi.ResourceOptions | None = None):
        parsed = args if isinstance(args, ProcessingServiceArgs) else parse(ProcessingServiceArgs, args, name)
        assert isinstance(parsed, ProcessingServiceArgs)
        if pool.is_gpu or pool.capacity_type == "SPOT" or pool.kind in ("system", "monitoring"):
            raise ServingArgsError(name, [f"{name}: pool '{pool.name}' ({pool.kind}, {pool.capacity_type}) is not "
                                          "for a CPU service that serves traffic. Fix: use the cpu pool."])
        super().__init__("mlplatform:serving:ProcessingService", name, None, opts)
        self.args = parsed
        child = pulumi.ResourceOptions(parent=self)
        rt = Runtime(prometheus_url=platform.prometheus_url, region=platform.region)
        self.manifests = specs.processing_manifests(parsed, namespace, pool, rt)
        self.digest_gaps = specs.unpinned_images(self.manifests)
        self.resources = {f"{m.kind}/{m.name}": create(m, child) for m in self.manifests}
        self.url = f"http://{parsed.name}.{namespace}.svc.cluster.local"
        self.register_outputs({"url": self.url})
