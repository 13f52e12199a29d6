"""A team's serving program on the platform (examples/__main__.py runs it; the offline plan and tests too).

It deploys, in the team's namespace and with the platform's pool contract:
- `llm`: a GPU model from the MLflow registry, stable at 90 % and a canary at 10 % behind an HTTPS ALB,
  scaled on GPU utilisation (DCGM);
- `preprocess`: a CPU FastAPI service in front of it, updated on its own;
- `batch`: a GPU batch-inference worker that scales from zero on its SQS queue.

Every argument comes from stack config (`examples/Pulumi.<stack>.yaml`), so a canary, a promotion or a
rollback is a config change (README "Serving a model"). The platform's settings (pools, teams) come from
the platform stack's own config file, its deploy-time values (OIDC, buckets, KEDA role) from its outputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import yaml

from components.iam import OidcIdentity
from components.serving import (
    ModelService,
    PlatformEndpoints,
    ProcessingService,
    ServingArgsError,
    validate_model_service,
)
from components.serving.args import ProcessingServiceArgs, parse
from domain.settings import PlatformSettings, SettingsError, load_settings
from examples import inference, preprocessing, training
from examples.broken import broken_manifests
from examples.conventions import RESEARCH_NAMESPACE, SERVING_NAMESPACE
from examples.manifests import Manifest, deploy

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_PROJECT = "mlplatform"


def platform_settings(stack: str, root: Path = ROOT) -> PlatformSettings:
    """The platform stack's validated settings, read from its Pulumi.<stack>.yaml (the pool and team contract)."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise SettingsError([f"platformStack: no platform stack config {path.name}. Fix: set platformStack to one "
                             f"of {sorted(p.name[7:-5] for p in root.glob('Pulumi.*.yaml'))}."])
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    region = config.get("aws:region")
    prefix = f"{PLATFORM_PROJECT}:"
    ours = {k[len(prefix):]: v for k, v in config.items()
            if k.startswith(prefix) and not (isinstance(v, dict) and set(v) == {"secure"})}
    return load_settings(stack, ours, region)


def pool_named(settings: PlatformSettings, name: str, key: str):
    pool = settings.pool(name)
    if pool is None:
        raise SettingsError([f"{key}: pool '{name}' is not a pool of the platform stack. Fix: use one of "
                             f"{[p.name for p in settings.pools]}."])
    return pool


def build(config: pulumi.Config | None = None) -> dict[str, Any]:
    config = config or pulumi.Config()
    settings = platform_settings(config.require("platformStack"))
    team_name = config.require("team")
    team = next((t for t in settings.teams if t.name == team_name), None)
    if team is None:
        raise SettingsError([f"team: '{team_name}' is not a team of platform stack {settings.stack}. Fix: add it "
                             f"to mlplatform:teams there, or use one of {[t.name for t in settings.teams]}."])
    gpu_pool = pool_named(settings, config.get("gpuPool") or "gpu", "gpuPool")
    cpu_pool = pool_named(settings, config.get("cpuPool") or "cpu", "cpuPool")

    # Every argument is checked before the first resource (a bad config registers nothing).
    try:
        llm_args = validate_model_service("llm", config.require_object("llm"), namespace=team.name,
                                          pool=gpu_pool, team=team)
        batch_args = validate_model_service("batch", config.require_object("batch"), namespace=team.name,
                                            pool=gpu_pool, team=team)
        parse(ProcessingServiceArgs, {"modelUrl": "http://placeholder", **config.require_object("preprocess")},
              "preprocess")
    except ServingArgsError as err:
        raise SettingsError(err.problems) from None
    # A team's GPU quota covers all its services together, not each one.
    peak = llm_args.max_gpus + batch_args.max_gpus
    if peak > team.gpu_quota:
        raise SettingsError([f"llm, batch: may hold {peak} GPUs together at peak, over team '{team.name}' gpuQuota "
                             f"{team.gpu_quota}. Fix: lower replicas.max, or raise the team's gpuQuota."])

    ref = pulumi.StackReference(config.get("platformStackRef") or settings.stack)
    aws_provider = aws.Provider("aws", region=settings.region)
    k8s_provider = k8s.Provider("platform", kubeconfig=ref.require_output("kubeconfig").apply(
        lambda k: k if isinstance(k, str) else yaml.safe_dump(k)))
    opts = pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": k8s_provider})
    platform = PlatformEndpoints(
        oidc=OidcIdentity(ref.require_output("oidcProviderArn"), ref.require_output("oidcIssuer")),
        artifact_bucket=ref.require_output("serviceBuckets").apply(lambda b: b["mlflow"]),
        artifact_key_arn=ref.require_output("servicesDataKeyArn"),
        keda_operator_role_arn=ref.require_output("kedaOperatorRoleArn"),
        prometheus_url=ref.require_output("prometheusUrl"),
        vpc_cidr=ref.require_output("vpcCidr"),
        region=settings.region,
    )
    llm = ModelService("llm", llm_args, namespace=team.name, pool=gpu_pool, team=team, platform=platform, opts=opts)
    batch = ModelService("batch", batch_args, namespace=team.name, pool=gpu_pool, team=team, platform=platform,
                         opts=opts)
    preprocess = ProcessingService("preprocess", {"modelUrl": llm.url, **config.require_object("preprocess")},
                                   namespace=team.name, pool=cpu_pool, platform=platform, opts=opts)
    services = {"llm": llm, "batch": batch, "preprocess": preprocess}
    if config.get_bool("includeBroken"):
        deploy(broken_manifests(), opts)
    pulumi.export("llmUrl", llm.url)
    pulumi.export("preprocessUrl", preprocess.url)
    pulumi.export("batchQueueUrl", batch.queue.url if batch.queue else None)
    pulumi.export("imagesWithoutDigest", sorted({i for s in (llm, batch, preprocess) for i in s.digest_gaps}))
    return services


def good_manifests(research: str = RESEARCH_NAMESPACE, serving: str = SERVING_NAMESPACE) -> list[Manifest]:
    """Hand-written workloads the policy tests use as the good twins of examples/broken.py."""
    return [
        *inference.manifests("llm-server", serving),
        *training.manifests("resnet-finetune", research),
        *training.manifests("resnet-finetune-gpu", research, gpus=1),
        *preprocessing.manifests("feature-preprocess", research),
    ]
