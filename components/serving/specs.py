"""Pure builders of everything a ModelService or ProcessingService creates (no Pulumi in here).

Values that exist only at deploy time (role ARNs, the bucket, the queue URL) arrive in `Runtime` as plain
strings in tests and as Pulumi Outputs in the component; the builders only place them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from components.availability import zone_spread
from components.iam import policy_document
from components.services import mlflow
from components.storage.names import partition
from domain.settings.node_pools import NodePoolSettings
from domain.versions import IMAGES

from .args import ModelServiceArgs, ModelVersion, ProcessingServiceArgs

GPU_RESOURCE = "nvidia.com/gpu"
INFERENCE_HIGH = "inference-high"  # components/gpu/scheduling.py: serving, preempts lower classes
BATCH_DEFAULT = "batch-default"  # never preempts
# Training pods carry this label (examples, README "Serving a model"): GPU servers keep off their nodes.
COMPONENT_LABEL = "app.kubernetes.io/component"
TRAINING_COMPONENT = "training"
VERSION_LABEL = "serving.mlplatform.io/version"
MODEL_DIR = "/models"
FETCH_SCRIPT_KEY = "model_fetch.py"
ALB_PREFIX = "alb.ingress.kubernetes.io"
# The platform's MLflow: where its proxied artifacts live in the bucket, and its in-cluster Service.
MLFLOW_ARTIFACTS_PATH = mlflow.ARTIFACTS_PATH
DEFAULT_MLFLOW_URI = f"http://{mlflow.SPEC.service}.{mlflow.SPEC.namespace}.svc.cluster.local:{mlflow.SPEC.service_port}"
PROBE_PERIOD_SECONDS = 10


@dataclass(frozen=True)
class Manifest:
    """A Kubernetes object: apiVersion, kind, resource name and body (metadata + the rest, camelCase)."""

    api_version: str
    kind: str
    name: str
    body: dict[str, Any]

    @property
    def resource_type(self) -> str:
        """The Pulumi type token pulumi_kubernetes registers it as (what the policy pack sees)."""
        group, _, version = self.api_version.rpartition("/")
        return f"kubernetes:{group or 'core'}/{version}:{self.kind}"

    @property
    def props(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, **self.body}

    @property
    def pod_spec(self) -> dict[str, Any]:
        return self.body["spec"]["template"]["spec"]


@dataclass(frozen=True)
class Runtime:
    """Deploy-time values: strings in tests, Outputs in the component."""

    model_role_arn: Any = "arn:aws:iam::123456789012:role/model-reader"
    artifact_bucket: Any = "mlplatform-dev-mlflow-123456789012-us-west-2"
    region: str = "us-west-2"
    prometheus_url: Any = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"
    mlflow_uri: str = DEFAULT_MLFLOW_URI
    mlflow_image: str = IMAGES["mlflow"]  # has mlflow and boto3; pinned by tag only (no digest on record)
    queue_url: Any = None
    scaler_role_arn: Any = None
    vpc_cidr: Any = "10.0.0.0/16"
    extra_labels: dict[str, str] = field(default_factory=dict)


def labels(service: str, component: str, version: str | None = None) -> dict[str, str]:
    out = {"app.kubernetes.io/name": service, COMPONENT_LABEL: component, "app.kubernetes.io/part-of": "ml-serving"}
    if version:
        out[VERSION_LABEL] = version
    return out


def track_name(args: ModelServiceArgs, version: ModelVersion) -> str:
    return f"{args.name}-{version.name}"


def component_of(args: ModelServiceArgs) -> str:
    return "inference" if args.mode == "online" else "batch-inference"


def meta(name: str, namespace: str, lbls: dict[str, str], annotations: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(lbls)}
    if annotations:
        out["annotations"] = annotations
    return out


# --- IAM ---------------------------------------------------------------------------------------------

def model_prefix(experiment_id: str) -> str:
    """S3 key prefix of an experiment's artifacts in the platform's MLflow bucket."""
    return f"{MLFLOW_ARTIFACTS_PATH}/{experiment_id}"


def model_reader_statements(bucket: str, experiment_ids: list[str], region: str) -> list[dict[str, Any]]:
    """Read the models' experiment prefixes of the MLflow bucket, and nothing else of it."""
    arn = f"arn:{partition(region)}:s3:::{bucket}"
    prefixes = sorted(set(experiment_ids))
    return [
        {"Sid": "ListModelPrefixes", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arn,
         "Condition": {"StringLike": {"s3:prefix": [f"{model_prefix(e)}/*" for e in prefixes]}}},
        {"Sid": "ReadModelArtifacts", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": [f"{arn}/{model_prefix(e)}/*" for e in prefixes]},
    ]


def kms_read_statement(key_arn: str, bucket: str, region: str) -> dict[str, Any]:
    """Decrypt the bucket's SSE-KMS objects, through S3 only and for this bucket only."""
    arn = f"arn:{partition(region)}:s3:::{bucket}"
    return {"Sid": "DecryptModelArtifacts", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                          "StringLike": {"kms:EncryptionContext:aws:s3:arn": [arn, f"{arn}/*"]}}}


def queue_worker_statements(queue_arn: str) -> list[dict[str, Any]]:
    return [{"Sid": "ConsumeOwnQueue", "Effect": "Allow", "Resource": queue_arn,
             "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes"]}]


def queue_scaler_policy(queue_arn: str) -> str:
    """What KEDA may do with a batch service's queue: read its depth."""
    return policy_document([{"Sid": "ReadQueueDepth", "Effect": "Allow", "Action": "sqs:GetQueueAttributes",
                             "Resource": queue_arn}])


def scaler_trust_policy(keda_operator_role_arn: str) -> str:
    """Only the KEDA operator's role may assume a scaler role."""
    return policy_document([{"Effect": "Allow", "Principal": {"AWS": keda_operator_role_arn},
                             "Action": "sts:AssumeRole"}])


# --- SQS ---------------------------------------------------------------------------------------------

def queue_args(args: ModelServiceArgs) -> dict[str, Any]:
    """The work queue: SSE-KMS (the AWS-managed SQS key), long polling, redrive to its dead-letter queue."""
    b = args.batch
    return {"visibility_timeout_seconds": b.visibility_timeout_seconds, "message_retention_seconds": b.retention_seconds,
            "receive_wait_time_seconds": 20, "kms_master_key_id": "alias/aws/sqs",
            "kms_data_key_reuse_period_seconds": 300}


def dead_letter_args(args: ModelServiceArgs) -> dict[str, Any]:
    return {"message_retention_seconds": 1209600, "kms_master_key_id": "alias/aws/sqs",
            "kms_data_key_reuse_period_seconds": 300}  # 14 days to look at what failed


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> str:
    return json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count})


def redrive_allow_policy(source_queue_arn: str) -> str:
    return json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [source_queue_arn]})


# --- pods --------------------------------------------------------------------------------------------

def restricted_container() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}


def restricted_pod(uid: int) -> dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid,
            "seccompProfile": {"type": "RuntimeDefault"}}


def training_anti_affinity() -> dict[str, Any]:
    """Never share a node with training pods: a GPU server's latency must not depend on a training job."""
    return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
        "labelSelector": {"matchExpressions": [{"key": COMPONENT_LABEL, "operator": "In",
                                                "values": [TRAINING_COMPONENT]}]},
        "topologyKey": "kubernetes.io/hostname"}]}}


def fetch_init_container(args: ModelServiceArgs, version: ModelVersion, rt: Runtime) -> dict[str, Any]:
    """Resolve the model version (or alias) in MLflow and copy its artifacts from S3 into the model volume."""
    model = version.model
    env = [
        {"name": "MLFLOW_TRACKING_URI", "value": rt.mlflow_uri},
        {"name": "MLFLOW_TRACKING_USERNAME", "valueFrom": {"secretKeyRef": {"name": args.mlflow_credentials_secret,
                                                                             "key": "username"}}},
        {"name": "MLFLOW_TRACKING_PASSWORD", "valueFrom": {"secretKeyRef": {"name": args.mlflow_credentials_secret,
                                                                             "key": "password"}}},
        {"name": "MODEL_NAME", "value": model.name},
        ({"name": "MODEL_VERSION", "value": str(model.version)} if model.version is not None
         else {"name": "MODEL_ALIAS", "value": str(model.alias)}),
        {"name": "ARTIFACT_BUCKET", "value": rt.artifact_bucket},
        {"name": "ARTIFACTS_PATH", "value": MLFLOW_ARTIFACTS_PATH},
        {"name": "ALLOWED_PREFIX", "value": model_prefix(model.experiment_id)},
        {"name": "TARGET_DIR", "value": MODEL_DIR},
        {"name": "SHARED", "value": "1" if args.model_volume.kind == "shared" else "0"},
        {"name": "AWS_REGION", "value": rt.region},
        {"name": "HOME", "value": "/tmp"},
    ]
    return {
        "name": "fetch-model", "image": rt.mlflow_image,
        "command": ["python", f"/opt/fetch/{FETCH_SCRIPT_KEY}"], "env": env,
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
        "securityContext": restricted_container(),
        "volumeMounts": [{"name": "model", "mountPath": MODEL_DIR}, {"name": "fetch", "mountPath": "/opt/fetch"},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }


def model_path(args: ModelServiceArgs, version: ModelVersion) -> str:
    if args.model_volume.kind == "shared":
        return f"{MODEL_DIR}/{version.model.name}/{version.model.version}"
    return f"{MODEL_DIR}/model"


def server_container(args: ModelServiceArgs, version: ModelVersion, rt: Runtime) -> dict[str, Any]:
    """The team's image, or the MLflow model server (`mlflow models serve`) for MLflow-format models."""
    path = model_path(args, version)
    if version.image is None:
        image = rt.mlflow_image
        command = ["mlflow", "models", "serve", "-m", path, "-h", "0.0.0.0", "-p", str(args.port),
                   "--env-manager", "local"]
    else:
        image, command = version.image, None
    limits: dict[str, str] = {"memory": args.memory}
    if args.gpus:
        limits[GPU_RESOURCE] = str(args.gpus)  # whole GPUs; the request follows the limit
    probe = {"port": "http"}
    container: dict[str, Any] = {
        "name": "server", "image": image,
        "env": [{"name": "MODEL_PATH", "value": path}, {"name": "MODEL_URI", "value": version.model.uri},
                {"name": "HOME", "value": "/tmp"}],
        "ports": [{"name": "http", "containerPort": args.port}],
        "resources": {"requests": {"cpu": args.cpu, "memory": args.memory}, "limits": limits},
        # Model load: liveness waits until startup succeeds, within model_load_seconds (plus a margin).
        "startupProbe": {"httpGet": {"path": args.readiness_path, **probe}, "periodSeconds": PROBE_PERIOD_SECONDS,
                         "failureThreshold": max(3, -(-args.model_load_seconds * 2 // PROBE_PERIOD_SECONDS))},
        "readinessProbe": {"httpGet": {"path": args.readiness_path, **probe}, "periodSeconds": 5,
                           "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": args.liveness_path, **probe}, "periodSeconds": 15,
                          "failureThreshold": 3},
        "securityContext": restricted_container(),
        "volumeMounts": [{"name": "model", "mountPath": MODEL_DIR, "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}, {"name": "dshm", "mountPath": "/dev/shm"}],
    }
    if command:
        container["command"] = command
    if args.mode == "batch":
        container["env"] += [{"name": "QUEUE_URL", "value": rt.queue_url}, {"name": "AWS_REGION", "value": rt.region}]
    return container


def model_volume(args: ModelServiceArgs) -> dict[str, Any]:
    if args.model_volume.kind == "shared":
        return {"name": "model", "persistentVolumeClaim": {"claimName": args.model_volume.claim_name}}
    return {"name": "model", "emptyDir": {"sizeLimit": args.model_volume.size}}


def priority_class(args: ModelServiceArgs) -> str:
    return INFERENCE_HIGH if args.mode == "online" else BATCH_DEFAULT


def deployment(args: ModelServiceArgs, version: ModelVersion, namespace: str, pool: NodePoolSettings,
               rt: Runtime, fetch_config_map: str) -> Manifest:
    name = track_name(args, version)
    pod_labels = {**labels(args.name, component_of(args), version.name), **rt.extra_labels}
    selector = labels(args.name, component_of(args), version.name)
    pod: dict[str, Any] = {
        "serviceAccountName": args.name,
        "priorityClassName": priority_class(args),
        **pool.placement,
        "topologySpreadConstraints": zone_spread(selector),
        "terminationGracePeriodSeconds": 60,
        "securityContext": restricted_pod(args.run_as_user),
        "initContainers": [fetch_init_container(args, version, rt)],
        "containers": [server_container(args, version, rt)],
        "volumes": [model_volume(args), {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
                    {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
                    {"name": "fetch", "configMap": {"name": fetch_config_map}}],
    }
    if not pool.tolerations:
        del pod["tolerations"]
    if args.gpus:
        pod["affinity"] = training_anti_affinity()
    spec: dict[str, Any] = {
        "selector": {"matchLabels": selector},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": {"metadata": {"labels": pod_labels}, "spec": pod},
    }
    if args.mode == "batch":
        spec["replicas"] = 0  # KEDA owns the count from here; an empty queue means no pod
    return Manifest("apps/v1", "Deployment", name, {"metadata": meta(name, namespace, selector), "spec": spec})


def service(args: ModelServiceArgs, version: ModelVersion, namespace: str) -> Manifest:
    """One ClusterIP Service per version: the ALB's weighted target groups point at these."""
    name = track_name(args, version)
    selector = labels(args.name, component_of(args), version.name)
    return Manifest("v1", "Service", name, {
        "metadata": meta(name, namespace, selector),
        "spec": {"type": "ClusterIP", "selector": selector,
                 "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}})


def disruption_budget(args: ModelServiceArgs, version: ModelVersion, namespace: str) -> Manifest:
    """At most one replica evicted at a time (drains, autoscaler scale-down)."""
    name = track_name(args, version)
    selector = labels(args.name, component_of(args), version.name)
    return Manifest("policy/v1", "PodDisruptionBudget", name, {
        "metadata": meta(name, namespace, selector),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector}}})


def service_monitor(args: ModelServiceArgs, version: ModelVersion, namespace: str) -> Manifest:
    name = track_name(args, version)
    selector = labels(args.name, component_of(args), version.name)
    return Manifest("monitoring.coreos.com/v1", "ServiceMonitor", name, {
        "metadata": meta(name, namespace, selector),
        "spec": {"selector": {"matchLabels": selector}, "endpoints": [{"port": "http", "path": "/metrics",
                                                                        "interval": "15s"}]}})


# --- autoscaling -------------------------------------------------------------------------------------

def prometheus_query(args: ModelServiceArgs, version: ModelVersion, namespace: str) -> tuple[str, str]:
    """(PromQL, KEDA metricType) of an online version's scaling signal."""
    name, metric = track_name(args, version), args.online.metric
    where = f'namespace="{namespace}",service="{name}"'
    signal = args.online.signal
    if signal == "requests":  # per replica: KEDA divides by the replica count
        return f"sum(rate({metric}_count{{{where}}}[2m]))", "AverageValue"
    if signal == "latency":
        return f"histogram_quantile(0.95, sum by (le) (rate({metric}_bucket{{{where}}}[2m])))", "Value"
    if signal == "gpu":  # DCGM exporter: the pod using the GPU arrives as exported_pod (honorLabels false)
        return (f'avg(DCGM_FI_DEV_GPU_UTIL{{exported_namespace="{namespace}",exported_pod=~"{name}-.*"}})',
                "Value")
    return cpu_query(namespace, name, "server"), "AverageValue"


def cpu_query(namespace: str, deployment: str, container: str) -> str:
    """CPU cores used by a Deployment's containers (cAdvisor through the kubelet: no metrics-server needed)."""
    return (f'sum(rate(container_cpu_usage_seconds_total{{namespace="{namespace}",pod=~"{deployment}-.*",'
            f'container="{container}"}}[2m]))')


def prometheus_trigger(rt: Runtime, query: str, metric_type: str, threshold: float) -> dict[str, Any]:
    return {"type": "prometheus", "metricType": metric_type, "metadata": {
        "serverAddress": rt.prometheus_url, "query": query, "threshold": f"{threshold:g}",
        # No data (Prometheus down) is an error, so KEDA's fallback holds the count instead of scaling in.
        "ignoreNullValues": "false"}}


def online_triggers(args: ModelServiceArgs, version: ModelVersion, namespace: str, rt: Runtime) -> list[dict[str, Any]]:
    query, metric_type = prometheus_query(args, version, namespace)
    return [prometheus_trigger(rt, query, metric_type, args.online.target)]


def sqs_trigger(args: ModelServiceArgs, rt: Runtime, auth_name: str) -> dict[str, Any]:
    return {"type": "aws-sqs-queue", "authenticationRef": {"name": auth_name}, "metadata": {
        "queueURL": rt.queue_url, "queueLength": str(args.batch.messages_per_replica), "awsRegion": rt.region,
        "scaleOnInFlight": "true"}}


def scale_behavior(args: ModelServiceArgs) -> dict[str, Any]:
    """Up fast (a new GPU replica may need a node: minutes), down slowly (5-10 min window)."""
    return {"scaleUp": {"stabilizationWindowSeconds": 0,
                        "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}]},
            "scaleDown": {"stabilizationWindowSeconds": args.online.scale_down_window_seconds,
                          "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}]}}


def scaled_object(args: ModelServiceArgs, version: ModelVersion, namespace: str, rt: Runtime,
                  auth_name: str | None = None) -> Manifest:
    name = track_name(args, version)
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
        "minReplicaCount": version.replicas.min,
        "maxReplicaCount": version.replicas.max,
        "pollingInterval": 15,
    }
    if args.mode == "online":
        spec["triggers"] = online_triggers(args, version, namespace, rt)
        spec["advanced"] = {"horizontalPodAutoscalerConfig": {"behavior": scale_behavior(args)}}
        # Prometheus unreachable: hold a safe count instead of guessing.
        spec["fallback"] = {"failureThreshold": 3, "replicas": version.replicas.max}
    else:
        spec["triggers"] = [sqs_trigger(args, rt, auth_name or f"{args.name}-queue")]
        spec["cooldownPeriod"] = args.batch.cooldown_seconds
    return Manifest("keda.sh/v1alpha1", "ScaledObject", name, {
        "metadata": meta(name, namespace, labels(args.name, component_of(args), version.name)), "spec": spec})


def trigger_authentication(args: ModelServiceArgs, namespace: str, rt: Runtime) -> Manifest:
    """KEDA reads the queue depth by assuming the service's scaler role (from its own IRSA role)."""
    name = f"{args.name}-queue"
    return Manifest("keda.sh/v1alpha1", "TriggerAuthentication", name, {
        "metadata": meta(name, namespace, labels(args.name, component_of(args))),
        "spec": {"podIdentity": {"provider": "aws", "roleArn": rt.scaler_role_arn}}})


# --- ALB ---------------------------------------------------------------------------------------------

def forward_action(targets: list[tuple[str, int]]) -> str:
    """The LBC's `actions.<name>` JSON: forward to Services (one target group each) with weights."""
    return json.dumps({"type": "forward", "forwardConfig": {"targetGroups": [
        {"serviceName": svc, "servicePort": "80", "weight": weight} for svc, weight in targets]}},
        separators=(",", ":"))


def header_condition(header: str, value: str) -> str:
    """The LBC's `conditions.<name>` JSON: match one HTTP header value."""
    return json.dumps([{"field": "http-header", "httpHeaderConfig": {"httpHeaderName": header, "values": [value]}}],
                      separators=(",", ":"))


def alb_actions(args: ModelServiceArgs) -> dict[str, str]:
    """Annotations of the weighted default action and of each version's header-pinned action."""
    ing = args.ingress
    assert ing is not None
    out = {f"{ALB_PREFIX}/actions.{args.name}-weighted": forward_action(
        [(track_name(args, v), v.weight) for v in args.versions])}
    for v in args.versions:
        if v.header:
            action = f"{track_name(args, v)}-pinned"
            out[f"{ALB_PREFIX}/actions.{action}"] = forward_action([(track_name(args, v), 100)])
            out[f"{ALB_PREFIX}/conditions.{action}"] = header_condition(ing.ab_header, v.header)
    return out


def ingress(args: ModelServiceArgs, namespace: str, base_annotations: dict[str, str]) -> Manifest:
    """One Ingress: header-pinned rules first (they win on the same path), then the weighted split."""
    actions = [f"{track_name(args, v)}-pinned" for v in args.versions if v.header] + [f"{args.name}-weighted"]
    ing = args.ingress
    assert ing is not None
    paths = [{"path": "/", "pathType": "Prefix",
              "backend": {"service": {"name": action, "port": {"name": "use-annotation"}}}} for action in actions]
    return Manifest("networking.k8s.io/v1", "Ingress", args.name, {
        "metadata": meta(args.name, namespace, labels(args.name, component_of(args)),
                         {**base_annotations, **alb_actions(args)}),
        "spec": {"ingressClassName": "alb", "rules": [{"host": ing.host, "http": {"paths": paths}}]}})


def alb_network_policy(args: ModelServiceArgs, namespace: str, rt: Runtime) -> Manifest:
    """The ALB reaches pods directly (target type ip) from the VPC: allow its range on the server port."""
    name = f"{args.name}-allow-alb"
    return Manifest("networking.k8s.io/v1", "NetworkPolicy", name, {
        "metadata": meta(name, namespace, labels(args.name, component_of(args))),
        "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": args.name}}, "policyTypes": ["Ingress"],
                 "ingress": [{"from": [{"ipBlock": {"cidr": rt.vpc_cidr}}],
                              "ports": [{"port": args.port, "protocol": "TCP"}]}]}})


def service_account(args: ModelServiceArgs, namespace: str, rt: Runtime) -> Manifest:
    return Manifest("v1", "ServiceAccount", args.name, {
        "metadata": meta(args.name, namespace, labels(args.name, component_of(args)),
                         {"eks.amazonaws.com/role-arn": rt.model_role_arn}),
        # The AWS SDK reads the projected web-identity token; no Kubernetes API token is needed.
        "automountServiceAccountToken": False})


def fetch_config_map(args: ModelServiceArgs, namespace: str, script: str) -> Manifest:
    name = f"{args.name}-fetch"
    return Manifest("v1", "ConfigMap", name, {
        "metadata": meta(name, namespace, labels(args.name, component_of(args))), "data": {FETCH_SCRIPT_KEY: script}})


def model_service_manifests(args: ModelServiceArgs, namespace: str, pool: NodePoolSettings, rt: Runtime,
                            script: str = "# model_fetch.py", ingress_annotations: dict[str, str] | None = None,
                            ) -> list[Manifest]:
    """Every Kubernetes object of a ModelService, in creation order."""
    config_map = fetch_config_map(args, namespace, script)
    out = [service_account(args, namespace, rt), config_map]
    if args.mode == "batch":
        out.append(trigger_authentication(args, namespace, rt))
    for v in args.versions:
        out += [deployment(args, v, namespace, pool, rt, config_map.name), disruption_budget(args, v, namespace)]
        if args.mode == "online":
            out += [service(args, v, namespace), service_monitor(args, v, namespace)]
        out.append(scaled_object(args, v, namespace, rt))
    if args.ingress is not None:
        out += [ingress(args, namespace, ingress_annotations or {}), alb_network_policy(args, namespace, rt)]
    return out


# An all-zero digest stands where CI has yet to write the digest of a build (examples/Pulumi.dev.yaml).
PLACEHOLDER_DIGEST = "@sha256:" + "0" * 64


def unpinned_images(manifests: list[Manifest]) -> list[str]:
    """Images of the pods pinned by tag only (no digest on record) or by the placeholder digest: shown in
    the plan, since neither pulls an immutable image."""
    images = set()
    for m in manifests:
        if m.kind == "Deployment":
            pod = m.pod_spec
            images |= {c["image"] for c in pod.get("initContainers", []) + pod["containers"]}
    return sorted(i for i in images if "@sha256:" not in i or i.endswith(PLACEHOLDER_DIGEST))


# --- processing service ------------------------------------------------------------------------------

def processing_manifests(args: ProcessingServiceArgs, namespace: str, pool: NodePoolSettings,
                         rt: Runtime) -> list[Manifest]:
    """A CPU FastAPI service (own Deployment, Service, PDB, ScaledObject on its CPU) calling the model service."""
    lbls = labels(args.name, "processing")
    pod = {
        "automountServiceAccountToken": False,
        "priorityClassName": BATCH_DEFAULT,
        **pool.placement,
        "topologySpreadConstraints": zone_spread(lbls),
        "securityContext": restricted_pod(args.run_as_user),
        "containers": [{
            "name": "api", "image": args.image,
            "env": [{"name": "MODEL_URL", "value": args.model_url}],
            "ports": [{"name": "http", "containerPort": args.port}],
            "resources": {"requests": {"cpu": args.cpu, "memory": args.memory}, "limits": {"memory": args.memory}},
            "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10,
                              "failureThreshold": 3},
            "securityContext": restricted_container(),
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
    }
    if not pool.tolerations:
        del pod["tolerations"]
    m = meta(args.name, namespace, lbls)
    return [
        Manifest("apps/v1", "Deployment", args.name, {"metadata": m, "spec": {
            "selector": {"matchLabels": lbls}, "template": {"metadata": {"labels": lbls}, "spec": pod}}}),
        Manifest("v1", "Service", args.name, {"metadata": m, "spec": {
            "type": "ClusterIP", "selector": lbls, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}),
        Manifest("policy/v1", "PodDisruptionBudget", args.name, {"metadata": m, "spec": {
            "maxUnavailable": 1, "selector": {"matchLabels": lbls}}}),
        Manifest("keda.sh/v1alpha1", "ScaledObject", args.name, {"metadata": m, "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": args.name},
            "minReplicaCount": args.replicas.min, "maxReplicaCount": args.replicas.max,
            "triggers": [prometheus_trigger(rt, cpu_query(namespace, args.name, "api"), "AverageValue",
                                            args.target_cpu_cores)],
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": {
                "scaleDown": {"stabilizationWindowSeconds": 300}}}}}}),
    ]
