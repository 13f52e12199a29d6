"""no-latest-images: images are pinned to a version tag or a digest."""

import pytest
from harness import UNKNOWN, WORKLOAD_KINDS, container, violations, workload

POLICY = "no-latest-images"


def pod(image):
    return {"containers": [container(image=image)]}


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
class TestEveryKind:
    def test_pinned_tag_passes(self, kind):
        assert violations(POLICY, workload(kind, pod("registry.example.com/app:1.0.0"))) == []

    def test_latest_fails(self, kind):
        found = violations(POLICY, workload(kind, pod("registry.example.com/app:latest")))
        assert len(found) == 1 and ":latest" in found[0]


@pytest.mark.parametrize("image", [
    "nginx:1.27", "registry.example.com:5000/team/app:2024-01-01", "app@sha256:" + "a" * 64,
    "app:latest@sha256:" + "b" * 64, "123456789012.dkr.ecr.us-east-1.amazonaws.com/llm:v1.4.2",
])
def test_pinned_images_pass(image):
    assert violations(POLICY, workload("Deployment", pod(image))) == []


@pytest.mark.parametrize("image", ["nginx", "registry.example.com:5000/team/app", "nvcr.io/nvidia/tritonserver:latest"])
def test_mutable_images_fail(image):
    assert violations(POLICY, workload("Deployment", pod(image)))


def test_init_containers_are_checked():
    spec = {"containers": [container()], "initContainers": [container("fetch", image="busybox")]}
    found = violations(POLICY, workload("Job", spec))
    assert len(found) == 1 and 'init container "fetch"' in found[0] and "has no tag" in found[0]


def test_unknown_or_runtime_supplied_images_are_not_violations():
    assert violations(POLICY, workload("Deployment", pod(UNKNOWN))) == []
    isvc = workload("InferenceService", {"containers": []})
    isvc["props"]["spec"]["predictor"]["model"] = {"modelFormat": {"name": "pytorch"}, "storageUri": "s3://m/1"}
    assert violations(POLICY, isvc) == []
