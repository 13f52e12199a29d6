"""Typed, validated arguments of ModelService and ProcessingService: bad input fails here, before any resource.

Errors name the argument and the fix, like the platform's settings errors. The pool and the team come
from the platform's own settings (domain/settings), so placement, GPU counts, quotas and priority rights
are checked against the real contract, not restated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from domain.settings.base import Settings
from domain.settings.node_pools import NodePoolSettings
from domain.settings.services import IngressSettings
from domain.settings.teams import TeamSettings

_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,28}[a-z0-9])?$")
# registry/repository:tag@sha256:<64 hex>: the tag says what it is, the digest makes it immutable.
PINNED_IMAGE = re.compile(r"^[a-z0-9.:/_-]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[0-9a-f]{64}$")
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,254}$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$")
_HEADER = re.compile(r"^[A-Za-z0-9-]{1,40}$")


class ServingArgsError(ValueError):
    """Invalid serving arguments: one line per problem, each naming the argument and the fix."""

    def __init__(self, service: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"Invalid arguments of {service}:\n" + "\n".join(f"  - {p}" for p in problems))


class Args(Settings):
    """Serving arguments: camelCase or snake_case keys, unknown keys rejected, immutable."""


def _check_name(value: str, what: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"'{value}' is not a valid {what}. Fix: use at most 30 lowercase letters, digits and '-', "
                         "starting with a letter.")
    return value


def _check_image(value: str) -> str:
    if not PINNED_IMAGE.match(value):
        raise ValueError(f"image '{value}' is not pinned. Fix: give it as registry/repo:tag@sha256:<digest> "
                         "(`docker buildx imagetools inspect <image:tag>` prints the digest).")
    return value


class ModelRef(Args):
    """A registered MLflow model: its name, and a version or an alias (exactly one).

    MLflow keeps a version's artifacts under its experiment (`<artifacts>/<experimentId>/...`), not under
    the registered name, so `experimentId` is what the model reader's IAM role is limited to.
    """

    name: str = Field(description="Registered model name in MLflow (`mlflow models` / `mlflow.register_model`).")
    version: int | None = Field(default=None, ge=1, description="Pinned model version; rollback = set it back.")
    alias: str | None = Field(default=None, description="Model alias (e.g. champion), resolved when a pod starts.")
    experiment_id: str = Field(description="MLflow experiment id holding the version's artifacts (its IAM prefix).")

    @field_validator("name")
    @classmethod
    def _valid_model_name(cls, value: str) -> str:
        if not value or len(value) > 256 or "/" in value or value != value.strip():
            raise ValueError(f"'{value}' is not an MLflow registered model name. Fix: 1-256 characters, no '/'.")
        return value

    @field_validator("alias")
    @classmethod
    def _valid_alias(cls, value: str | None) -> str | None:
        if value is not None and (not _ALIAS.match(value) or value.lower() == "latest"
                                  or re.fullmatch(r"v\d+", value)):
            raise ValueError(f"'{value}' is not a usable alias. Fix: letters, digits, '_' and '-', starting with "
                             "a letter, not 'latest' nor 'v<number>' (MLflow reserves them).")
        return value

    @field_validator("experiment_id")
    @classmethod
    def _valid_experiment(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9]{1,19}", value):
            raise ValueError(f"'{value}' is not an MLflow experiment id. Fix: use the numeric id that "
                             "`mlflow experiments search` prints.")
        return value

    @model_validator(mode="after")
    def _version_or_alias(self) -> ModelRef:
        if (self.version is None) == (self.alias is None):
            raise ValueError(f"model '{self.name}': give exactly one of version and alias. Fix: pin a version "
                             "(reproducible) or name an alias (moved by `mlflow`), not both.")
        return self

    @property
    def uri(self) -> str:
        """The MLflow model URI: models:/<name>/<version> or models:/<name>@<alias>."""
        return f"models:/{self.name}/{self.version}" if self.version is not None else f"models:/{self.name}@{self.alias}"


class Replicas(Args):
    min: int = Field(default=1, ge=0, le=100, description="Minimum replicas (0 only for batch services).")
    max: int = Field(default=2, ge=1, le=100, description="Maximum replicas the autoscaler may reach.")

    @model_validator(mode="after")
    def _ordered(self) -> Replicas:
        if self.min > self.max:
            raise ValueError(f"replicas.min ({self.min}) > replicas.max ({self.max}). Fix: raise max or lower min.")
        return self


class ModelVersion(Args):
    """One live version of a service: its own Deployment, Service and scaler, and its share of traffic."""

    name: str = Field(description="Track name (stable, canary, ...): part of the Deployment and Service names.")
    model: ModelRef = Field(description="The registered model version or alias this track serves.")
    weight: int = Field(default=100, ge=0, le=100, description="Share of ALB traffic (percent); weights sum to 100.")
    image: str | None = Field(default=None, description="Server image pinned by tag and digest; None: MLflow server.")
    replicas: Replicas = Field(default_factory=Replicas, description="Autoscaling bounds of this track.")
    header: str | None = Field(default=None, description="A/B: requests with `<abHeader>: <value>` go here only.")

    _name = field_validator("name")(classmethod(lambda cls, v: _check_name(v, "version name")))

    @field_validator("image")
    @classmethod
    def _pinned(cls, value: str | None) -> str | None:
        return None if value is None else _check_image(value)


class OnlineScaling(Args):
    """Online serving scales on a Prometheus signal, never on CPU for a GPU model."""

    signal: Literal["requests", "latency", "gpu", "cpu"] = Field(
        default="requests", description="requests: req/s per replica; latency: p95 seconds; gpu: DCGM utilisation "
                                        "percent; cpu: CPU utilisation percent (CPU models only).")
    target: float = Field(default=10.0, gt=0, description="Target value of the signal (per replica for requests).")
    scale_down_window_seconds: int = Field(default=600, ge=300, le=600,
                                           description="Scale-down stabilisation window (5-10 minutes).")
    metric: str = Field(default="http_request_duration_seconds",
                        description="Histogram the server exports (requests and latency signals read it).")


class BatchScaling(Args):
    """Batch inference scales from zero on the depth of its SQS queue."""

    messages_per_replica: int = Field(default=5, ge=1, le=10000, description="Queue messages one replica works off.")
    visibility_timeout_seconds: int = Field(default=900, ge=30, le=43200,
                                            description="How long a message stays hidden while a worker handles it.")
    max_receive_count: int = Field(default=5, ge=1, le=1000,
                                   description="Deliveries before a message moves to the dead-letter queue.")
    retention_seconds: int = Field(default=345600, ge=60, le=1209600, description="Message retention (4 days).")
    cooldown_seconds: int = Field(default=300, ge=60, le=3600,
                                  description="Idle time after the last message before scaling to zero.")


class IngressArgs(IngressSettings):
    """An HTTPS ALB Ingress (AWS Load Balancer Controller) with weighted target groups, one per version.

    The platform's own ingress settings (host, certificateArn, scheme, allowedCidrs), plus the A/B header.
    """

    enabled: bool = True
    ab_header: str = Field(default="x-model-version", description="Header that pins a request to a version.")

    @field_validator("ab_header")
    @classmethod
    def _valid_header(cls, value: str) -> str:
        if not _HEADER.match(value):
            raise ValueError(f"'{value}' is not an HTTP header name. Fix: 1-40 letters, digits and '-'.")
        return value

    @model_validator(mode="after")
    def _complete(self) -> IngressArgs:
        if not (self.enabled and self.host and self.certificate_arn):
            raise ValueError("ingress needs host and certificateArn. Fix: set both (the ACM certificate must "
                             "cover the host), or drop ingress.")
        return self


class ModelVolume(Args):
    """Where the init container puts the model: a pod-local emptyDir, or a shared volume read-only to servers."""

    kind: Literal["emptyDir", "shared"] = Field(default="emptyDir", description="emptyDir, or shared (a PVC).")
    size: str = Field(default="20Gi", description="emptyDir size limit (the model must fit).")
    claim_name: str | None = Field(default=None, description="PersistentVolumeClaim (ReadWriteMany) when shared.")

    @field_validator("size")
    @classmethod
    def _valid_size(cls, value: str) -> str:
        if not _QUANTITY.match(value):
            raise ValueError(f"'{value}' is not a Kubernetes quantity. Fix: use a value such as 20Gi.")
        return value

    @model_validator(mode="after")
    def _claim(self) -> ModelVolume:
        if (self.kind == "shared") != (self.claim_name is not None):
            raise ValueError("a shared model volume needs claimName, and only it. Fix: set kind: shared with "
                             "claimName, or drop claimName.")
        return self


class ModelServiceArgs(Args):
    """Everything a ModelService needs besides the platform's pool and team."""

    name: str = Field(description="Service name: prefix of every Kubernetes and AWS resource it creates.")
    mode: Literal["online", "batch"] = Field(default="online", description="online (HTTP) or batch (SQS worker).")
    versions: list[ModelVersion] = Field(min_length=1, max_length=5, description="Live versions (tracks).")
    gpus: int = Field(default=0, ge=0, le=8, description="Whole GPUs per replica (0: a CPU model).")
    cpu: str = Field(default="2", description="CPU request per replica.")
    memory: str = Field(default="8Gi", description="Memory request and limit per replica.")
    port: int = Field(default=8080, ge=1024, le=65535, description="Container port of the server.")
    model_load_seconds: int = Field(default=90, ge=5, le=1800, description="Worst-case model load time.")
    readiness_path: str = Field(default="/ping", description="HTTP readiness path of the server.")
    liveness_path: str = Field(default="/health", description="HTTP liveness path of the server.")
    online: OnlineScaling = Field(default_factory=OnlineScaling, description="Scaling of an online service.")
    batch: BatchScaling = Field(default_factory=BatchScaling, description="Queue and scaling of a batch service.")
    ingress: IngressArgs | None = Field(default=None, description="Optional HTTPS ALB Ingress.")
    model_volume: ModelVolume = Field(default_factory=ModelVolume, description="Where the model is put.")
    mlflow_credentials_secret: str = Field(
        default="mlflow-model-reader", description="Secret (keys username, password) of an MLflow user with READ "
                                                   "on the model; the init container resolves the version with it.")
    run_as_user: int = Field(default=1001, ge=1, description="UID of the server (restricted Pod Security).")

    _name = field_validator("name")(classmethod(lambda cls, v: _check_name(v, "service name")))

    @field_validator("cpu", "memory")
    @classmethod
    def _quantity(cls, value: str) -> str:
        if not _QUANTITY.match(value):
            raise ValueError(f"'{value}' is not a Kubernetes quantity. Fix: use a value such as 2, 500m or 8Gi.")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ModelServiceArgs:
        problems: list[str] = []
        names = [v.name for v in self.versions]
        if len(set(names)) != len(names):
            problems.append(f"versions: names {names} repeat. Fix: give every version its own name.")
        if self.mode == "online":
            total = sum(v.weight for v in self.versions)
            if total != 100:
                problems.append(f"versions: weights sum to {total}. Fix: make them sum to 100 (e.g. 90 and 10).")
            low = [v.name for v in self.versions if v.replicas.min < 1]
            if low:
                problems.append(f"versions {low}: replicas.min 0 for an online service leaves requests waiting "
                                f"{self.model_load_seconds}s of model load (plus a node). Fix: set min to 1 or more.")
            if self.gpus and self.online.signal == "cpu":
                problems.append("online.signal cpu for a GPU model: CPU says nothing about a GPU-bound server. "
                                "Fix: use gpu, requests or latency.")
            mlflow_server = [v.name for v in self.versions if v.image is None]
            if mlflow_server and self.online.signal in ("requests", "latency"):
                problems.append(f"versions {mlflow_server} run the MLflow model server, which exports no request "
                                "metrics. Fix: use signal gpu (GPU) or cpu (CPU), or a team image that exports "
                                f"{self.online.metric}.")
            headers = [v.header for v in self.versions if v.header]
            if headers and self.ingress is None:
                problems.append("versions[].header routes requests at the ALB. Fix: configure ingress, or drop header.")
            if len(set(headers)) != len(headers):
                problems.append(f"versions: header values {headers} repeat. Fix: one value per version.")
        else:
            if self.ingress is not None:
                problems.append("ingress on a batch service: it reads its queue and serves no HTTP. Fix: drop ingress.")
            if len(self.versions) != 1:
                problems.append("a batch service has one version (its queue feeds it). Fix: keep one version; "
                                "run a second service for another model.")
            if any(v.image is None for v in self.versions):
                problems.append("the MLflow model server answers HTTP and reads no queue. Fix: give the batch "
                                "version a worker image that consumes QUEUE_URL.")
            if self.versions and self.versions[0].replicas.min != 0:
                problems.append("a batch service scales from zero. Fix: set replicas.min to 0.")
        if self.model_volume.kind == "shared" and any(v.model.alias for v in self.versions):
            problems.append("a shared model volume keeps one directory per model version. Fix: pin version "
                            "instead of alias, or use an emptyDir.")
        if problems:
            raise ValueError(" ".join(problems))
        return self

    @property
    def max_gpus(self) -> int:
        """GPUs the service may hold at its peak (every version at max replicas)."""
        return self.gpus * sum(v.replicas.max for v in self.versions)


class ProcessingServiceArgs(Args):
    """A CPU FastAPI pre/post-processing service that calls a model service."""

    name: str = Field(description="Service name.")
    image: str = Field(description="FastAPI image pinned by tag and digest.")
    model_url: str = Field(description="URL of the model service it calls (ModelService.url).")
    replicas: Replicas = Field(default_factory=lambda: Replicas(min=2, max=10), description="Autoscaling bounds.")
    cpu: str = Field(default="500m", description="CPU request per replica.")
    memory: str = Field(default="512Mi", description="Memory request and limit per replica.")
    port: int = Field(default=8080, ge=1024, le=65535, description="Container port.")
    target_cpu_cores: float = Field(default=0.35, gt=0, le=64, description="CPU cores per replica to scale at.")
    run_as_user: int = Field(default=1000, ge=1, description="UID of the server.")

    _name = field_validator("name")(classmethod(lambda cls, v: _check_name(v, "service name")))
    _image = field_validator("image")(classmethod(lambda cls, v: _check_image(v)))


def placement_problems(args: ModelServiceArgs, pool: NodePoolSettings, team: TeamSettings) -> list[str]:
    """What the platform's contract forbids: wrong pool, too many GPUs, quota, priority rights."""
    key = f"{args.name}"
    problems: list[str] = []
    if args.gpus and not pool.is_gpu:
        problems.append(f"{key}: gpus={args.gpus} on pool '{pool.name}' ({pool.kind}). Fix: pick a GPU pool.")
    if not args.gpus and pool.is_gpu:
        problems.append(f"{key}: a CPU model on GPU pool '{pool.name}' would hold a GPU node. Fix: pick the cpu pool.")
    if pool.is_gpu and args.gpus > pool.gpus_per_node:
        problems.append(f"{key}: {args.gpus} GPUs per replica, but {pool.instance_types[0]} nodes of pool "
                        f"'{pool.name}' have {pool.gpus_per_node}. Fix: lower gpus or pick a larger pool.")
    if pool.kind in ("system", "monitoring"):
        problems.append(f"{key}: pool '{pool.name}' is the platform's {pool.kind} pool. Fix: pick cpu or a GPU pool.")
    if pool.capacity_type == "SPOT" and args.mode == "online":
        problems.append(f"{key}: online serving on spot pool '{pool.name}' loses replicas at two minutes' notice. "
                        "Fix: pick an on-demand pool.")
    if args.mode == "online" and not team.allow_inference_high:
        problems.append(f"{key}: online serving runs at inference-high, which team '{team.name}' may not use. Fix: "
                        f"set allowInferenceHigh on teams[{team.name}] in the platform stack.")
    if args.max_gpus > team.gpu_quota:
        problems.append(f"{key}: may hold {args.max_gpus} GPUs at peak (gpus x sum of replicas.max), over team "
                        f"'{team.name}' gpuQuota {team.gpu_quota}. Fix: lower replicas.max or raise the quota.")
    return problems


def parse(cls: type[Settings], data: dict, service: str) -> Settings:
    """Validate `data` (camelCase or snake_case keys) into `cls`, or raise ServingArgsError naming each key."""
    try:
        return cls.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"]) or service
            message = e["msg"].removeprefix("Value error, ")
            if "Fix:" not in message:
                message += f". Fix: {generic_fix(e)}"
            problems.append(f"{service}.{where}: {message}")
        raise ServingArgsError(service, problems) from None


def generic_fix(error: Mapping[str, Any]) -> str:
    """The fix of a built-in pydantic error (bounds, lengths, types, unknown or missing keys)."""
    ctx, kind = error.get("ctx") or {}, error["type"]
    if kind == "extra_forbidden":
        return "remove the key (see the argument's documented fields)"
    if kind == "missing":
        return "set it"
    for bound, text in (("ge", "at least"), ("gt", "more than"), ("le", "at most"), ("lt", "less than")):
        if bound in ctx:
            return f"use a value {text} {ctx[bound]}"
    if "min_length" in ctx or "max_length" in ctx:
        return f"give between {ctx.get('min_length', 0)} and {ctx.get('max_length', 'any number of')} items"
    return "use a value of the documented type"
