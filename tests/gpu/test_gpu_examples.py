"""Examples: pure specs follow the platform's conventions; the policy pack accepts them and rejects each twin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.gpu.autoscaler import SAFE_TO_EVICT
from components.gpu.scheduling import SchedulingPolicy, priority_class_specs
from components.gpu.teams import TeamNamespace
from domain.settings.gpu_layer import gpu_layer
from domain.settings.node_pools import GPU_TAINT_KEY, KIND_DEFAULTS, POOL_LABEL, SPOT_TAINT_KEY
from examples import conventions, inference, preprocessing, training
from examples.broken import BROKEN, broken_manifests
from examples.manifests import KINDS, deploy
from examples.program import good_manifests
from policy.mlpolicies.policies import BY_NAME
from policy.mlpolicies.runner import load_stack_config, run_pack
from tests.gpu.helpers import GPU_SPOT_POOL, TEAMS, policy_resources, run_program, settings

ROOT = Path(__file__).resolve().parents[2]
# The serving example runs 2..4 one-GPU replicas, so its team's quota must fit 4 GPUs
# (gpu-autoscaling-within-quota checks maxReplicas x GPUs per pod against it).
EXAMPLE_TEAMS = [{**team, "gpuQuota": 4} if team["name"] == "ml-serving" else team for team in TEAMS]
PLATFORM = settings("dev", teams=EXAMPLE_TEAMS, nodePools=[GPU_SPOT_POOL])


def test_conventions_match_the_platform():
    assert conventions.POOL_LABEL == POOL_LABEL
    gpu_taint = KIND_DEFAULTS["gpu"]["taints"][0]
    spot_taint = KIND_DEFAULTS["spot"]["taints"][0]
    assert {**gpu_taint, "operator": "Equal"} == conventions.GPU_TOLERATION and gpu_taint["key"] == GPU_TAINT_KEY
    assert {**spot_taint, "operator": "Equal"} == conventions.SPOT_TOLERATION and spot_taint["key"] == SPOT_TAINT_KEY
    classes = priority_class_specs()
    assert {conventions.INFERENCE_HIGH, conventions.BATCH_DEFAULT, conventions.TRAINING_LOW} == set(classes)
    assert conventions.SAFE_TO_EVICT == SAFE_TO_EVICT
    assert {t.name for t in PLATFORM.teams} == {conventions.RESEARCH_NAMESPACE, conventions.SERVING_NAMESPACE}
    assert PLATFORM.pool(conventions.GPU_SPOT_POOL).tolerations == [conventions.GPU_TOLERATION,
                                                                     conventions.SPOT_TOLERATION]


def test_gpu_inference_deployment():
    d = inference.deployment()
    pod, c = d.pod_spec, d.container
    assert c["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert c["resources"]["requests"]["cpu"] and c["resources"]["requests"]["memory"]
    assert pod["tolerations"] == [conventions.GPU_TOLERATION]
    assert pod["nodeSelector"] == {"node-pool": "gpu"}
    assert pod["priorityClassName"] == "inference-high"
    assert {"readinessProbe", "livenessProbe", "startupProbe"} <= set(c)
    assert "replicas" not in d.body["spec"]  # the HPA owns it
    kinds = {m.kind: m for m in inference.manifests()}
    assert kinds["PodDisruptionBudget"].body["spec"]["selector"]["matchLabels"] == d.body["spec"]["selector"]["matchLabels"]
    assert kinds["HorizontalPodAutoscaler"].body["spec"]["minReplicas"] >= 2
    assert kinds["HorizontalPodAutoscaler"].body["spec"]["scaleTargetRef"]["name"] == d.body["metadata"]["name"]


@pytest.mark.parametrize("gpus", [0, 1])
def test_training_job_on_spot(gpus):
    job = training.job(gpus=gpus)
    pod = job.pod_spec
    assert pod["priorityClassName"] == "training-low"
    assert job.body["spec"]["template"]["metadata"]["annotations"] == {SAFE_TO_EVICT: "false"}
    assert conventions.SPOT_TOLERATION in pod["tolerations"]
    assert (conventions.GPU_TOLERATION in pod["tolerations"]) == bool(gpus)
    assert pod["nodeSelector"] == {"node-pool": "gpu-spot" if gpus else "spot"}
    assert ("nvidia.com/gpu" in job.container["resources"]["limits"]) == bool(gpus)
    rules = job.body["spec"]["podFailurePolicy"]["rules"]
    assert {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]} in rules
    assert pod["restartPolicy"] == "Never" and job.body["spec"]["ttlSecondsAfterFinished"] > 0


def test_cpu_preprocessing_service():
    d = preprocessing.deployment()
    assert d.pod_spec["nodeSelector"] == {"node-pool": "cpu"}
    assert "tolerations" not in d.pod_spec
    assert not any("nvidia.com" in k for k in json.dumps(d.body).split('"'))
    assert {"readinessProbe", "livenessProbe"} <= set(d.container)
    assert {m.kind for m in preprocessing.manifests()} == {"Deployment", "Service", "PodDisruptionBudget",
                                                           "HorizontalPodAutoscaler"}


def test_examples_register_every_manifest():
    planned = run_program(lambda: deploy(good_manifests() + broken_manifests()))
    manifests = good_manifests() + broken_manifests()
    assert len({(m.kind, m.name) for m in manifests}) == len(manifests)  # names are unique per kind
    assert sorted(r.name for r in planned) == sorted(m.name for m in manifests)
    assert set(KINDS) >= {m.kind for m in manifests}


def policy_config() -> dict:
    """dev's policy config, with every GPU pool of the stack (gpu-spot included) listed as a GPU pool."""
    config = load_stack_config("dev")
    config["gpu-node-selector-advised"] = {"enforcementLevel": "advisory", "gpuNodePools": ["gpu", "gpu-spot"]}
    return config


def verdicts(manifests) -> list:
    """The pack's verdicts on the manifests deployed next to the platform's PriorityClasses and team namespaces."""

    def program():
        SchedulingPolicy("scheduling")
        for team in PLATFORM.teams:
            TeamNamespace(f"team-{team.name}", team, gpu_layer(PLATFORM))
        deploy(manifests)

    return run_pack(policy_resources(run_program(program)), policy_config())


def test_the_policy_pack_accepts_the_good_examples():
    assert [str(v) for v in verdicts(good_manifests())] == []


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_policy_pack_rejects_each_broken_twin(name):
    example = BROKEN[name]
    assert set(example.policies) <= set(BY_NAME)
    found = {v.policy_name for v in verdicts(example.build())}
    assert found == set(example.policies), f"{name}: {example.why}"


def test_examples_policy_config_names_real_policies():
    config = json.loads((ROOT / "examples" / "policy-config.json").read_text())
    assert set(config) <= set(BY_NAME)
    assert set(config["training-does-not-preempt"]["externalNeverPreemptClasses"]) == {
        name for name, spec in priority_class_specs().items() if spec.preemption_policy == "Never"}


def test_examples_are_documented():
    readme = (ROOT / "examples" / "README.md").read_text()
    for name in BROKEN:
        assert f"`{name}`" in readme, name
