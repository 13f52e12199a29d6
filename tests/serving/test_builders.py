"""Pure builders of the serving layer: pod specs, KEDA triggers, ALB actions, IAM policies, SQS, the fetch script."""

from __future__ import annotations

import json

import pytest

from components.serving import model_fetch, specs
from components.serving.args import ServingArgsError
from components.serving.specs import Runtime
from tests.serving.helpers import CERT, IMAGE, args, batch, model, online, platform, processing


def by_kind(manifests, kind):
    return [m for m in manifests if m.kind == kind]


def build(data, stack="dev", **rt):
    a = args(data)
    s = platform(stack)
    return a, specs.model_service_manifests(a, "ml-serving", s.pool("gpu") if a.gpus else s.pool("cpu"),
                                            Runtime(**rt))


def test_gpu_deployment_follows_the_pool_contract():
    a, ms = build(online())
    stable = by_kind(ms, "Deployment")[0]
    pod, server = stable.pod_spec, stable.pod_spec["containers"][0]
    gpu = platform("dev").pool("gpu")
    assert pod["nodeSelector"] == gpu.node_selector and pod["tolerations"] == gpu.tolerations
    assert server["resources"]["limits"]["nvidia.com/gpu"] == "1" and "nvidia.com/gpu" not in server["resources"]["requests"]
    assert pod["priorityClassName"] == "inference-high"
    assert pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"] == {
        "matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In", "values": ["training"]}]}
    assert [c["topologyKey"] for c in pod["topologySpreadConstraints"]] == ["topology.kubernetes.io/zone",
                                                                            "kubernetes.io/hostname"]
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(server)
    # Startup allows twice the model load time before liveness may restart the pod.
    assert server["startupProbe"]["failureThreshold"] * server["startupProbe"]["periodSeconds"] >= 2 * a.model_load_seconds
    assert "replicas" not in stable.body["spec"]  # KEDA owns it
    (init,) = pod["initContainers"]
    env = {e["name"]: e.get("value") for e in init["env"]}
    assert env["MODEL_NAME"] == "support-llm" and env["MODEL_VERSION"] == "3" and env["ALLOWED_PREFIX"] == "artifacts/12"
    assert {m["name"]: m.get("readOnly", False) for m in server["volumeMounts"]}["model"] is True


def test_cpu_model_has_no_gpu_and_no_training_anti_affinity():
    _, ms = build(online(gpus=0, online={"signal": "cpu", "target": 1.5}))
    pod = by_kind(ms, "Deployment")[0].pod_spec
    assert "tolerations" not in pod and "affinity" not in pod and pod["nodeSelector"] == {"node-pool": "cpu"}
    assert "nvidia.com/gpu" not in json.dumps(pod)


def test_mlflow_server_for_mlflow_models_and_alias_resolution():
    versions = [{"name": "stable", "model": model(alias="champion", version=None), "replicas": {"min": 1, "max": 1}}]
    _, ms = build(online(versions=versions))
    pod = by_kind(ms, "Deployment")[0].pod_spec
    server = pod["containers"][0]
    assert server["command"][:3] == ["mlflow", "models", "serve"] and "/models/model" in server["command"]
    assert {e["name"]: e.get("value") for e in pod["initContainers"][0]["env"]}["MODEL_ALIAS"] == "champion"


@pytest.mark.parametrize("signal,metric_type,needle", [
    ("gpu", "Value", 'avg(DCGM_FI_DEV_GPU_UTIL{exported_namespace="ml-serving",exported_pod=~"llm-stable-.*"})'),
    ("requests", "AverageValue", 'sum(rate(http_request_duration_seconds_count{namespace="ml-serving",'
                                 'service="llm-stable"}[2m]))'),
    ("latency", "Value", "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{"),
])
def test_online_scaled_object(signal, metric_type, needle):
    _, ms = build(online(online={"signal": signal, "target": 70, "scaleDownWindowSeconds": 420}))
    so = by_kind(ms, "ScaledObject")[0].body["spec"]
    assert so["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm-stable"}
    assert (so["minReplicaCount"], so["maxReplicaCount"]) == (1, 2)
    (trigger,) = so["triggers"]
    assert trigger["type"] == "prometheus" and trigger["metricType"] == metric_type
    assert needle in trigger["metadata"]["query"] and trigger["metadata"]["threshold"] == "70"
    assert trigger["metadata"]["serverAddress"] == Runtime().prometheus_url
    behavior = so["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] == 420
    assert so["fallback"] == {"failureThreshold": 3, "replicas": 2}


def test_dcgm_and_cadvisor_metrics_are_ones_the_platform_knows():
    from tests.observability.metric_catalog import CATALOG

    assert "DCGM_FI_DEV_GPU_UTIL" in CATALOG["dcgm-exporter"]["metrics"]


def test_batch_scales_from_zero_on_sqs_through_the_scaler_role():
    a, ms = build(batch(), queue_url="https://sqs.us-west-2.amazonaws.com/123456789012/batch-queue",
                  scaler_role_arn="arn:aws:iam::123456789012:role/keda-scalers/batch-scaler")
    (deployment,) = by_kind(ms, "Deployment")
    assert deployment.body["spec"]["replicas"] == 0 and deployment.pod_spec["priorityClassName"] == "batch-default"
    so = by_kind(ms, "ScaledObject")[0].body["spec"]
    assert so["minReplicaCount"] == 0 and so["cooldownPeriod"] == 300
    (trigger,) = so["triggers"]
    assert trigger == {"type": "aws-sqs-queue", "authenticationRef": {"name": "batch-queue"}, "metadata": {
        "queueURL": "https://sqs.us-west-2.amazonaws.com/123456789012/batch-queue", "queueLength": "5",
        "awsRegion": "us-west-2", "scaleOnInFlight": "true"}}
    (auth,) = by_kind(ms, "TriggerAuthentication")
    assert auth.body["spec"] == {"podIdentity": {"provider": "aws",
                                                 "roleArn": "arn:aws:iam::123456789012:role/keda-scalers/batch-scaler"}}
    assert not by_kind(ms, "Service") and not by_kind(ms, "Ingress")


def test_weighted_alb_actions_and_header_pinned_versions():
    data = online(ingress={"host": "llm.example.com", "certificateArn": CERT, "abHeader": "x-model"})
    data["versions"][1]["header"] = "canary"
    a, ms = build(data)
    (ing,) = by_kind(ms, "Ingress")
    ann = ing.body["metadata"]["annotations"]
    assert json.loads(ann["alb.ingress.kubernetes.io/actions.llm-weighted"]) == {
        "type": "forward", "forwardConfig": {"targetGroups": [
            {"serviceName": "llm-stable", "servicePort": "80", "weight": 90},
            {"serviceName": "llm-canary", "servicePort": "80", "weight": 10}]}}
    assert json.loads(ann["alb.ingress.kubernetes.io/conditions.llm-canary-pinned"]) == [
        {"field": "http-header", "httpHeaderConfig": {"httpHeaderName": "x-model", "values": ["canary"]}}]
    paths = ing.body["spec"]["rules"][0]["http"]["paths"]
    # The header rule comes first: on the same path, the earlier rule wins.
    assert [p["backend"]["service"]["name"] for p in paths] == ["llm-canary-pinned", "llm-weighted"]
    assert all(p["backend"]["service"]["port"] == {"name": "use-annotation"} for p in paths)
    assert {s.name for s in by_kind(ms, "Service")} == {"llm-stable", "llm-canary"}


def test_iam_model_reader_is_limited_to_the_experiment_prefix():
    statements = specs.model_reader_statements("bucket", ["12", "12"], "us-west-2")
    assert statements[0]["Condition"] == {"StringLike": {"s3:prefix": ["artifacts/12/*"]}}
    assert statements[1]["Resource"] == ["arn:aws:s3:::bucket/artifacts/12/*"]
    assert {s["Action"] for s in statements} == {"s3:ListBucket", "s3:GetObject"}
    kms = specs.kms_read_statement("arn:aws:kms:us-west-2:123456789012:key/k", "bucket", "us-west-2")
    assert kms["Action"] == "kms:Decrypt" and kms["Condition"]["StringEquals"] == {"kms:ViaService": "s3.us-west-2.amazonaws.com"}
    scaler = json.loads(specs.queue_scaler_policy("arn:aws:sqs:us-west-2:123456789012:q"))["Statement"]
    assert scaler == [{"Sid": "ReadQueueDepth", "Effect": "Allow", "Action": "sqs:GetQueueAttributes",
                       "Resource": "arn:aws:sqs:us-west-2:123456789012:q"}]
    trust = json.loads(specs.scaler_trust_policy("arn:aws:iam::123456789012:role/keda-operator"))["Statement"][0]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/keda-operator"}


def test_queue_is_encrypted_with_a_dead_letter_queue():
    a = args(batch(batch={"maxReceiveCount": 3}))
    assert specs.queue_args(a)["kms_master_key_id"] == "alias/aws/sqs"
    assert specs.dead_letter_args(a)["kms_master_key_id"] == "alias/aws/sqs"
    assert json.loads(specs.redrive_policy("arn:dlq", 3)) == {"deadLetterTargetArn": "arn:dlq", "maxReceiveCount": 3}
    assert json.loads(specs.redrive_allow_policy("arn:q")) == {"redrivePermission": "byQueue",
                                                               "sourceQueueArns": ["arn:q"]}


def test_processing_service_scales_on_its_cpu_through_prometheus():
    ms = specs.processing_manifests(processing(), "ml-serving", platform("dev").pool("cpu"), Runtime())
    assert [m.kind for m in ms] == ["Deployment", "Service", "PodDisruptionBudget", "ScaledObject"]
    env = ms[0].pod_spec["containers"][0]["env"]
    assert env == [{"name": "MODEL_URL", "value": "http://llm-stable.ml-serving.svc.cluster.local"}]
    trigger = ms[3].body["spec"]["triggers"][0]
    assert 'container_cpu_usage_seconds_total{namespace="ml-serving",pod=~"preprocess-.*",container="api"}' in \
        trigger["metadata"]["query"]


def test_unpinned_images_are_reported():
    _, ms = build(online())
    assert specs.unpinned_images(ms) == [Runtime().mlflow_image]
    assert IMAGE not in specs.unpinned_images(ms)


@pytest.mark.parametrize("uri,expected", [
    ("mlflow-artifacts:/12/models/m-abc/artifacts", "artifacts/12/models/m-abc/artifacts"),
    ("mlflow-artifacts:/12/0a1b/artifacts/model", "artifacts/12/0a1b/artifacts/model"),
    ("s3://bucket/artifacts/12/x/artifacts", "artifacts/12/x/artifacts"),
])
def test_fetch_maps_download_uris_to_keys(uri, expected):
    assert model_fetch.artifact_key_prefix(uri, "bucket", "artifacts") == expected
    assert model_fetch.within(expected, "artifacts/12") and not model_fetch.within(expected, "artifacts/1")


def test_fetch_refuses_other_buckets_and_schemes():
    with pytest.raises(ValueError):
        model_fetch.artifact_key_prefix("s3://other/artifacts/12/x", "bucket", "artifacts")
    with pytest.raises(ValueError):
        model_fetch.artifact_key_prefix("dbfs:/x", "bucket", "artifacts")
    assert model_fetch.target_directory("/models", "m", "3", shared=True) == "/models/m/3"
    assert model_fetch.target_directory("/models", "m", "3", shared=False) == "/models/model"


@pytest.mark.parametrize("data,needle", [
    (online(versions=[{"name": "stable", "weight": 80, "model": model(), "image": IMAGE}]), "weights sum to 80"),
    (online(versions=[{"name": "stable", "model": model(alias="x"), "image": IMAGE}]), "exactly one of version and alias"),
    (online(versions=[{"name": "stable", "model": model(), "image": "repo/llm:1.0"}]), "is not pinned"),
    (online(versions=[{"name": "stable", "model": model(), "image": IMAGE, "replicas": {"min": 0, "max": 1}}]),
     "replicas.min 0 for an online service"),
    (online(online={"signal": "cpu"}), "CPU says nothing about a GPU-bound server"),
    (online(online={"signal": "gpu", "scaleDownWindowSeconds": 60}), "greater than or equal to 300"),
    (online(versions=[{"name": "stable", "model": model()}], online={"signal": "requests"}),
     "exports no request metrics"),
    (batch(versions=[{"name": "worker", "model": model(), "replicas": {"min": 0, "max": 1}}]), "reads no queue"),
    (batch(versions=[{"name": "worker", "model": model(), "image": IMAGE, "replicas": {"min": 1, "max": 1}}]),
     "scales from zero"),
    (batch(ingress={"host": "b.example.com", "certificateArn": CERT}), "ingress on a batch service"),
    (online(ingress={"host": "llm.example.com"}), "ingress needs host and certificateArn"),
    (online(modelVolume={"kind": "shared"}), "needs claimName"),
    (online(model={"x": 1}), "Extra inputs are not permitted"),
    (online(versions=[{"name": "Stable!", "model": model(), "image": IMAGE}]), "not a valid version name"),
    (online(versions=[{"name": "stable", "model": model(alias="latest", version=None), "image": IMAGE}]),
     "not a usable alias"),
])
def test_bad_arguments_fail_before_any_resource_naming_the_key_and_fix(data, needle):
    with pytest.raises(ServingArgsError) as err:
        args(data)
    text = str(err.value)
    assert needle in text and "Fix:" in text, text
