"""gpu-helm-release-tolerations: the GPU operator's release tolerates the GPU taint."""

import pulumi
import pytest
from harness import UNKNOWN, resource, violations

POLICY = "gpu-helm-release-tolerations"
RELEASE = "kubernetes:helm.sh/v3:Release"
TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def release(chart="gpu-operator", values=None, **props):
    return resource(RELEASE, {"chart": chart, "namespace": "gpu-operator", "version": "v24.9.0",
                              "values": values if values is not None else good_values(), **props}, name="gpu-operator")


def good_values(daemonsets=(TOLERATION,), nfd=(TOLERATION,)):
    return {"driver": {"enabled": False},
            "daemonsets": {"tolerations": list(daemonsets)},
            "node-feature-discovery": {"worker": {"tolerations": list(nfd)}}}


@pytest.mark.parametrize("chart", ["gpu-operator", "nvidia/gpu-operator", "oci://ghcr.io/nvidia/gpu-operator"])
def test_tolerating_release_passes(chart):
    assert violations(POLICY, release(chart)) == []


def test_missing_daemonset_tolerations_fail():
    values = good_values()
    del values["daemonsets"]
    found = violations(POLICY, release(values=values))
    assert len(found) == 1 and "values.daemonsets.tolerations is not set" in found[0]


def test_non_matching_nfd_tolerations_fail():
    found = violations(POLICY, release(values=good_values(nfd=[{"key": "spot", "operator": "Exists"}])))
    assert len(found) == 1 and "node-feature-discovery.worker.tolerations does not tolerate" in found[0]


def test_no_values_reports_both_paths():
    assert len(violations(POLICY, release(values={}))) == 2


def test_catch_all_toleration_passes():
    assert violations(POLICY, release(values=good_values([{"operator": "Exists"}], [{"operator": "Exists"}]))) == []


def test_other_charts_are_ignored_unless_configured():
    plain = release("ingress-nginx", values={})
    assert violations(POLICY, plain) == []
    dcgm = release("dcgm-exporter", values={"tolerations": []})
    found = violations(POLICY, dcgm, config={"gpuCharts": ["gpu-operator", "dcgm-exporter"]})
    assert len(found) == 1 and "values.tolerations" in found[0]


def test_value_files_are_merged_under_values():
    files = [pulumi.StringAsset("daemonsets:\n  tolerations:\n    - {key: nvidia.com/gpu, operator: Exists}\n")]
    values = good_values()
    del values["daemonsets"]
    assert violations(POLICY, release(values=values, valueYamlFiles=files)) == []
    # `values` wins over the files, and lists replace rather than merge
    values["daemonsets"] = {"tolerations": []}
    assert violations(POLICY, release(values=values, valueYamlFiles=files))


def test_unreadable_value_files_are_not_violations():
    files = [pulumi.FileAsset("/nonexistent/values.yaml")]
    values = good_values()
    del values["daemonsets"]
    assert violations(POLICY, release(values=values, valueYamlFiles=files)) == []


def test_unknowns_are_not_violations():
    assert violations(POLICY, release(chart=UNKNOWN, values={})) == []
    assert violations(POLICY, release(values=UNKNOWN)) == []
    assert violations(POLICY, release(values=good_values(daemonsets=[UNKNOWN]))) == []


def vllm_stack(models, tolerations=None):
    """vLLM production stack values: models under servingEngineSpec.modelSpec, GPUs as requestGPU."""
    engine = {"modelSpec": models, **({"tolerations": tolerations} if tolerations is not None else {})}
    return release(chart="vllm/vllm-stack", values={"servingEngineSpec": engine})


def model(name="llama", gpus=1, **extra):
    return {"name": name, "repository": "vllm/vllm-openai", "tag": "v0.9.1", "modelURL": "org/model",
            "requestCPU": 6, "requestMemory": "16Gi", "requestGPU": gpus, **extra}


class TestVllmStack:
    def test_global_or_per_model_toleration_passes(self):
        assert violations(POLICY, vllm_stack([model()], tolerations=[TOLERATION])) == []
        assert violations(POLICY, vllm_stack([model(tolerations=[TOLERATION])])) == []

    def test_gpu_model_without_toleration_fails(self):
        found = violations(POLICY, vllm_stack([model("a", tolerations=[TOLERATION]), model("b", gpus="2")]))
        assert len(found) == 1
        assert "values.servingEngineSpec.modelSpec[1].requestGPU" in found[0] and "asks for 2 GPU(s)" in found[0]

    def test_a_models_toleration_covers_only_that_model(self):
        found = violations(POLICY, vllm_stack([model("a", tolerations=[TOLERATION]), model("b")]))
        assert len(found) == 1 and "modelSpec[1]" in found[0]

    def test_cpu_models_need_nothing(self):
        assert violations(POLICY, vllm_stack([model(gpus=0)])) == []
        assert violations(POLICY, vllm_stack([model(gpus=None)])) == []

    def test_unknowns_are_not_violations(self):
        assert violations(POLICY, vllm_stack(UNKNOWN)) == []
        assert violations(POLICY, vllm_stack([model(gpus=UNKNOWN)])) == []
        assert violations(POLICY, vllm_stack([model()], tolerations=UNKNOWN)) == []

    def test_configured_charts_use_their_own_paths(self):
        config = {"chartTolerationPaths": {"model-server": ["pods.tolerations"]},
                  "chartGpuRequestPaths": {"model-server": ["pods.gpus"]}}
        bad = release(chart="model-server", values={"pods": {"gpus": 1}})
        assert violations(POLICY, bad, config=config)
        good = release(chart="model-server", values={"pods": {"gpus": 1, "tolerations": [TOLERATION]}})
        assert violations(POLICY, good, config=config) == []
