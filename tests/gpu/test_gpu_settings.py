"""GPU and team settings: parsing, cross-checks with the pools, and the quota arithmetic."""

from __future__ import annotations

import pytest

from domain.settings import SettingsError, load_settings
from domain.settings.gpu import (
    DEPLOY_DRIVER_LABEL,
    DEPLOY_TOOLKIT_LABEL,
    GpuQuotaReport,
    autoscaler_image_minor,
    gpu_capacity,
    gpu_quota_report,
    quota_warning,
)
from domain.versions import KUBERNETES_VERSION
from tests.gpu.helpers import GPU_SPOT_POOL, TEAMS, settings


def problems_of(stack: str = "dev", **config) -> list[str]:
    with pytest.raises(SettingsError) as err:
        load_settings(stack, config)
    return err.value.problems


def team(name: str = "ml-research", **fields) -> dict:
    return {"name": name, "ownersGroup": f"{name}-owners", **fields}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_defaults_need_no_gpu_config_and_define_no_teams(stack):
    s = settings(stack)
    assert s.teams == []
    assert s.gpu.mig_strategy == "none" and s.gpu.time_slicing_replicas == 1
    assert s.gpu.operator_enabled and s.gpu.autoscaler.enabled and not s.gpu.smoke_test
    assert s.gpu.autoscaler.replicas == (1 if stack == "dev" else 2)
    assert gpu_quota_report(s) == GpuQuotaReport(0, gpu_capacity(s), False)


def test_team_fields_are_camel_case_and_quantities_may_be_numbers():
    s = settings("dev", teams=TEAMS)
    research, serving = s.teams
    assert (research.name, research.owners_group, research.gpu_quota) == ("ml-research", "ml-research-owners", 1)
    assert serving.cpu_quota == "16" and serving.memory_quota == "64Gi" and serving.allow_inference_high
    assert research.pod_security == "restricted" and not research.allow_inference_high


def test_quota_report_counts_the_gpu_pools_at_max_size():
    # dev: gpu pool maxSize 2 of 1-GPU instances; prod: 8.
    assert gpu_quota_report(settings("dev", teams=TEAMS)) == (2, 2, False)
    assert gpu_capacity(settings("prod")) == 8
    # A second GPU pool adds its capacity: 4 more nodes of 1 GPU.
    assert gpu_capacity(settings("dev", nodePools=[GPU_SPOT_POOL])) == 6
    p5 = {"name": "gpu-large", "kind": "gpu", "instanceTypes": ["p5.48xlarge"], "minSize": 0, "maxSize": 2}
    assert gpu_capacity(settings("prod", nodePools=[p5])) == 8 + 16
    # Disabled pools provide nothing.
    assert gpu_capacity(settings("prod", nodePools=[{**p5, "enabled": False}])) == 8


def test_time_slicing_multiplies_the_advertised_capacity():
    s = settings("dev", gpu={"timeSlicingReplicas": 4}, teams=[team(gpuQuota=8)])
    assert gpu_quota_report(s) == (8, 8, False)


def test_oversubscription_is_a_warning_not_an_error():
    s = settings("dev", teams=[team("a", gpuQuota=2), team("b", gpuQuota=2)])
    total, capacity, oversubscribed = gpu_quota_report(s)
    assert (total, capacity, oversubscribed) == (4, 2, True)
    warning = quota_warning(s)
    assert warning.startswith("mlplatform:teams: ") and "4 GPUs" in warning and "at most 2" in warning
    assert "Fix:" in warning
    assert quota_warning(settings("dev", teams=[team(gpuQuota=2)])) is None


def test_one_team_above_the_whole_capacity_is_an_error():
    (problem,) = problems_of("dev", teams=[team(gpuQuota=3)])
    assert problem.startswith("mlplatform:teams[ml-research].gpuQuota: 3 GPUs exceed the GPU pools' total capacity of 2")
    assert "Fix:" in problem


def test_gpu_quota_without_any_gpu_pool_is_an_error():
    (problem,) = problems_of("dev", teams=[team(gpuQuota=1)], nodePools=[{"name": "gpu", "enabled": False}])
    assert problem.startswith("mlplatform:teams[ml-research].gpuQuota: ") and "no enabled GPU pool" in problem
    # Teams without GPUs are fine without GPU pools.
    s = settings("dev", teams=[team()], nodePools=[{"name": "gpu", "enabled": False}])
    assert s.teams[0].gpu_quota == 0


@pytest.mark.parametrize(("fields", "key", "text"), [
    ({"name": "kube-system"}, "name", "namespace of the platform"),
    ({"name": "gpu-operator"}, "name", "namespace of the platform"),
    ({"name": "Team_A"}, "name", "not a valid namespace name"),
    ({"ownersGroup": "system:masters"}, "ownersGroup", "system group"),
    ({"ownersGroup": "ml research"}, "ownersGroup", "not a Kubernetes group name"),
    ({"cpuQuota": "lots"}, "cpuQuota", "not a Kubernetes quantity"),
    ({"memoryQuota": "64GB"}, "memoryQuota", "not a Kubernetes quantity"),
    ({"gpuQuota": -1}, "gpuQuota", "greater than or equal to 0"),
    ({"podSecurity": "privileged"}, "podSecurity", ""),
    ({"gpuQuota": 1, "maxGpusPerPod": 2}, "maxGpusPerPod", "do not fit on one node"),
    ({"maxGpusPerPod": 1}, "maxGpusPerPod", "no effect without a gpuQuota"),
    ({"colour": "blue"}, "colour", "unknown key"),
])
def test_invalid_team_fields_name_their_key(fields, key, text):
    name = fields.get("name", "ml-research")
    (problem,) = problems_of("dev", teams=[{**team(), **fields}])
    assert problem.startswith(f"mlplatform:teams[{name}].{key}: ")
    assert text in problem


def test_max_gpus_per_pod_is_bounded_by_the_quota():
    p4d = {"name": "gpu-large", "kind": "gpu", "instanceTypes": ["p4d.24xlarge"], "minSize": 0, "maxSize": 1}
    (problem,) = problems_of("prod", nodePools=[p4d], teams=[team(gpuQuota=4, maxGpusPerPod=8)])
    assert "more than the team's gpuQuota (4)" in problem
    s = settings("prod", nodePools=[p4d], teams=[team(gpuQuota=8, maxGpusPerPod=8)])
    assert s.teams[0].gpus_per_pod_limit(s) == 8
    # Default: the largest GPU node, capped by the quota.
    assert settings("prod", nodePools=[p4d], teams=[team(gpuQuota=16)]).teams[0].gpus_per_pod_limit(
        settings("prod", nodePools=[p4d])) == 8


def test_duplicate_team_names_are_rejected():
    problems = problems_of("dev", teams=[team(), team()])
    assert any(p.startswith("mlplatform:teams: duplicate team names ['ml-research']") for p in problems)


def test_mig_needs_a_mig_capable_pool():
    (problem,) = problems_of("dev", gpu={"migStrategy": "single"})
    assert problem.startswith("mlplatform:gpu.migStrategy: ") and "Fix:" in problem
    p4d = {"name": "gpu-a100", "kind": "gpu", "instanceTypes": ["p4d.24xlarge"], "minSize": 0, "maxSize": 1}
    s = settings("prod", nodePools=[p4d], gpu={"migStrategy": "mixed", "migConfig": "all-balanced"})
    assert s.gpu.mig_strategy == "mixed"


@pytest.mark.parametrize(("gpu", "key"), [
    ({"migStrategy": "single", "migConfig": "all-balanced"}, "gpu.migConfig"),
    ({"migConfig": "all-1g.10gb"}, "gpu.migConfig"),
    ({"migStrategy": "mixed", "timeSlicingReplicas": 2}, "gpu.timeSlicingReplicas"),
])
def test_mig_combinations(gpu, key):
    p4d = {"name": "gpu-a100", "kind": "gpu", "instanceTypes": ["p4d.24xlarge"], "minSize": 0, "maxSize": 1}
    problems = problems_of("prod", nodePools=[p4d], gpu=gpu)
    assert any(p.startswith(f"mlplatform:{key}: ") for p in problems), problems


@pytest.mark.parametrize(("gpu", "key", "text"), [
    ({"migConfig": "some-layout"}, "migConfig", "not a MIG configuration"),
    ({"migStrategy": "half"}, "migStrategy", ""),
    ({"timeSlicingReplicas": 0}, "timeSlicingReplicas", "greater than or equal to 1"),
    ({"autoscaler": {"scaleDownUnneededTime": "ten minutes"}}, "autoscaler.scaleDownUnneededTime", "not a duration"),
    ({"autoscaler": {"expander": "random"}}, "autoscaler.expander", ""),
    ({"autoscaler": {"scaleDownUtilizationThreshold": 1.5}}, "autoscaler.scaleDownUtilizationThreshold", ""),
    ({"operator": True}, "operator", "unknown key"),
])
def test_invalid_gpu_fields_name_their_key(gpu, key, text):
    (problem,) = problems_of("dev", gpu=gpu)
    assert problem.startswith(f"mlplatform:gpu.{key}: ") and text in problem


def test_smoke_test_needs_a_gpu_pool_and_the_operator():
    (problem,) = problems_of("dev", gpu={"smokeTest": True, "operatorEnabled": False})
    assert problem.startswith("mlplatform:gpu.smokeTest: ")
    (problem,) = problems_of("dev", gpu={"smokeTest": True}, nodePools=[{"name": "gpu", "enabled": False}])
    assert problem.startswith("mlplatform:gpu.smokeTest: ")


def test_prod_keeps_two_autoscaler_replicas():
    (problem,) = problems_of("prod", gpu={"autoscaler": {"replicas": 1}})
    assert problem.startswith("mlplatform:gpu.autoscaler.replicas: ")
    assert settings("dev", gpu={"autoscaler": {"replicas": 1}}).gpu.autoscaler.replicas == 1


def test_autoscaler_image_must_match_the_cluster_minor():
    assert autoscaler_image_minor() == KUBERNETES_VERSION
    assert autoscaler_image_minor("registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.5") == "1.33"
    # 1.33 has no pins in domain/versions.py: with every add-on set by hand, the autoscaler still lacks one.
    addons = {"vpc-cni": "v1.20.4-eksbuild.1", "coredns": "v1.12.4-eksbuild.1", "kube-proxy": "v1.33.5-eksbuild.2",
              "aws-ebs-csi-driver": "v1.52.1-eksbuild.1", "eks-pod-identity-agent": "v1.3.9-eksbuild.5"}
    (problem,) = problems_of("dev", cluster={"version": "1.33", "addonVersions": addons})
    assert problem.startswith("mlplatform:cluster.version: Kubernetes 1.33 has no Cluster Autoscaler pin")
    assert "KUBERNETES_RELEASES" in problem and "domain/versions.py" in problem
    # Without the autoscaler there is nothing to match.
    assert settings("dev", cluster={"version": "1.33", "addonVersions": addons}, gpu={"autoscaler": {"enabled": False}})


def test_mixed_driver_amis_need_the_operator_opt_out_labels():
    standard = {"name": "gpu-std", "kind": "gpu", "amiType": "AL2023_x86_64_STANDARD", "minSize": 0, "maxSize": 1}
    (problem,) = problems_of("dev", nodePools=[standard])
    assert problem.startswith("mlplatform:nodePools[gpu].labels: ") and DEPLOY_DRIVER_LABEL in problem
    labels = {DEPLOY_DRIVER_LABEL: "false", DEPLOY_TOOLKIT_LABEL: "false"}
    assert settings("dev", nodePools=[standard, {"name": "gpu", "labels": labels}])
    # Without the operator, the platform installs no driver anywhere.
    assert settings("dev", nodePools=[standard], gpu={"operatorEnabled": False})


# What the GPU layer suggests for Pulumi.<stack>.yaml (keys without the mlplatform: prefix).
SUGGESTED_STACK_CONFIG = {
    "dev": {
        "gpu": {"smokeTest": True},
        "teams": [{"name": "ml-research", "ownersGroup": "ml-research", "gpuQuota": 2, "cpuQuota": "32",
                   "memoryQuota": "128Gi"}],
    },
    "staging": {
        "gpu": {"smokeTest": True},
        "teams": [
            {"name": "ml-research", "ownersGroup": "ml-research", "gpuQuota": 2, "cpuQuota": "32",
             "memoryQuota": "128Gi"},
            {"name": "ml-serving", "ownersGroup": "ml-serving", "gpuQuota": 2, "cpuQuota": "16",
             "memoryQuota": "64Gi", "allowInferenceHigh": True},
        ],
    },
    "prod": {
        "teams": [
            {"name": "ml-research", "ownersGroup": "ml-research", "gpuQuota": 4, "cpuQuota": "64",
             "memoryQuota": "256Gi"},
            {"name": "ml-serving", "ownersGroup": "ml-serving", "gpuQuota": 4, "cpuQuota": "32",
             "memoryQuota": "128Gi", "allowInferenceHigh": True},
        ],
    },
}


@pytest.mark.parametrize("stack", sorted(SUGGESTED_STACK_CONFIG))
def test_suggested_stack_config_is_valid_and_not_oversubscribed(stack):
    s = load_settings(stack, SUGGESTED_STACK_CONFIG[stack])
    report = gpu_quota_report(s)
    assert not report.oversubscribed and report.total_quota == report.capacity
