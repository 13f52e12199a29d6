"""Every workload ModelService and ProcessingService can produce passes the whole pack, with each stack's config.

The matrix crosses the component's options: mode (online, batch), GPU or CPU model, every online scaling
signal, team image or MLflow model server, version or alias, emptyDir or shared model volume, with and
without an ALB Ingress (weighted, with and without header-pinned versions), one or two versions.
"""

from __future__ import annotations

import itertools

import pytest

from components.serving.args import ServingArgsError, placement_problems
from components.serving.specs import Runtime, model_service_manifests, processing_manifests
from domain.settings.teams import TeamSettings
from tests.serving.helpers import CERT, IMAGE, STACKS, args, batch, model, online, platform, processing, verdicts

INGRESS = {"host": "llm.example.com", "certificateArn": CERT}


def online_combinations():
    for gpus, signal, server, ref, volume, ingress, tracks in itertools.product(
            (1, 0), ("gpu", "requests", "latency", "cpu"), ("image", "mlflow"), ("version", "alias"),
            ("emptyDir", "shared"), ("none", "weighted", "headers"), (1, 2)):
        if (gpus and signal == "cpu") or (not gpus and signal == "gpu"):
            continue  # rejected by validation (tested apart) or meaningless (no GPU to measure)
        if server == "mlflow" and signal in ("requests", "latency"):
            continue  # rejected: the MLflow server exports no request metrics
        if volume == "shared" and ref == "alias":
            continue  # rejected: a shared volume keeps one directory per pinned version
        if ingress == "headers" and tracks == 1:
            continue
        versions = []
        for i in range(tracks):
            ref_fields = {"version": 3 + i} if ref == "version" else {"alias": f"track{i}", "version": None}
            v = {"name": ("stable", "canary")[i], "weight": (100,)[0] if tracks == 1 else (90, 10)[i],
                 "model": model(**ref_fields), "replicas": {"min": 1, "max": 1 if gpus else 4}}
            if server == "image":
                v["image"] = IMAGE
            if ingress == "headers":
                v["header"] = f"v{i}"
            versions.append(v)
        data = online(gpus=gpus, online={"signal": signal, "target": 5}, versions=versions,
                      modelVolume={"kind": "shared", "claimName": "models"} if volume == "shared" else {})
        if ingress != "none":
            data["ingress"] = INGRESS
        yield f"{'gpu' if gpus else 'cpu'}-{signal}-{server}-{ref}-{volume}-{ingress}-{tracks}", data


def batch_combinations():
    for gpus, ref, volume in itertools.product((1, 0), ("version", "alias"), ("emptyDir", "shared")):
        if volume == "shared" and ref == "alias":
            continue
        ref_fields = {"version": 5} if ref == "version" else {"alias": "champion", "version": None}
        data = batch(gpus=gpus, versions=[{"name": "worker", "model": model(**ref_fields), "image": IMAGE,
                                           "replicas": {"min": 0, "max": 1 if gpus else 3}}],
                     modelVolume={"kind": "shared", "claimName": "models"} if volume == "shared" else {})
        yield f"batch-{'gpu' if gpus else 'cpu'}-{ref}-{volume}", data


COMBINATIONS = dict(online_combinations()) | dict(batch_combinations())


def test_the_matrix_is_wide():
    assert len(COMBINATIONS) >= 60, len(COMBINATIONS)


@pytest.mark.parametrize("stack", STACKS)
def test_every_combination_passes_the_pack(stack):
    s = platform(stack)
    team = next(t for t in s.teams if t.name == "ml-serving")
    failures = {}
    for name, data in COMBINATIONS.items():
        a = args(data)
        pool = s.pool("gpu") if a.gpus else s.pool("cpu")
        assert placement_problems(a, pool, team) == [], name
        rt = Runtime(queue_url="https://sqs.us-west-2.amazonaws.com/123456789012/batch",
                     scaler_role_arn="arn:aws:iam::123456789012:role/keda-scalers/batch")
        found = verdicts(model_service_manifests(a, team.name, pool, rt, ingress_annotations={}), stack)
        if found:
            failures[name] = found
    assert failures == {}


@pytest.mark.parametrize("stack", STACKS)
def test_processing_service_passes_the_pack(stack):
    s = platform(stack)
    assert verdicts(processing_manifests(processing(), "ml-serving", s.pool("cpu"), Runtime()), stack) == []


def test_placement_contract_rejects_what_the_pack_would():
    s = platform("prod")
    team = next(t for t in s.teams if t.name == "ml-serving")
    gpu_model = args(online())
    assert "Fix: pick a GPU pool" in " ".join(placement_problems(gpu_model, s.pool("cpu"), team))
    assert "Fix: pick the cpu pool" in " ".join(placement_problems(args(online(gpus=0, online={"signal": "cpu"})),
                                                                   s.pool("gpu"), team))
    assert "spot" in " ".join(placement_problems(args(online(gpus=0, online={"signal": "cpu"})), s.pool("spot"), team))
    research = TeamSettings(name="ml-research", owners_group="ml-research", gpu_quota=2)
    assert "allowInferenceHigh" in " ".join(placement_problems(gpu_model, s.pool("gpu"), research))
    big = online(versions=[{"name": "stable", "model": model(), "image": IMAGE, "replicas": {"min": 1, "max": 9}}])
    assert "gpuQuota 2" in " ".join(placement_problems(args(big), s.pool("gpu"), team))
    assert isinstance(ServingArgsError("x", ["a"]), ValueError)
