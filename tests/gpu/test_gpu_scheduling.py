"""PriorityClasses, team namespace specs, the smoke test Job and the plan section (pure builders)."""

from __future__ import annotations

from types import SimpleNamespace

from components.gpu.report import gpu_plan_section
from components.gpu.scheduling import BATCH_DEFAULT, INFERENCE_HIGH, PRIORITY_CLASSES, TRAINING_LOW
from components.gpu.smoke_test import smoke_test_job_spec, smoke_test_pool
from components.gpu.teams import (
    inference_high_quota_spec,
    largest_workload_node,
    team_limit_range_spec,
    team_quota_spec,
    team_role_binding_spec,
    team_role_rules,
)
from domain.settings.gpu_layer import gpu_layer
from domain.versions import CHARTS, IMAGES
from tests.gpu.helpers import GPU_SPOT_POOL, TEAMS, settings


def test_priority_classes():
    classes = {c.name: c for c in PRIORITY_CLASSES}
    assert set(classes) == {INFERENCE_HIGH, BATCH_DEFAULT, TRAINING_LOW}
    assert classes[INFERENCE_HIGH].preemption_policy == "PreemptLowerPriority"
    assert classes[TRAINING_LOW].preemption_policy == "Never"
    assert classes[BATCH_DEFAULT].preemption_policy == "Never"
    assert classes[INFERENCE_HIGH].value > classes[BATCH_DEFAULT].value > classes[TRAINING_LOW].value > -10
    assert classes[INFERENCE_HIGH].value < 1_000_000_000  # below the system classes
    assert [c.name for c in PRIORITY_CLASSES if c.global_default] == [BATCH_DEFAULT]
    args = classes[TRAINING_LOW].args()
    assert args["metadata"]["name"] == TRAINING_LOW and args["preemption_policy"] == "Never"


def test_team_quota_caps_gpus_with_the_requests_prefix_only():
    s = settings("dev", teams=TEAMS)
    research = s.teams[0]
    assert team_quota_spec(research) == {"hard": {"requests.cpu": "32", "requests.memory": "128Gi",
                                                  "requests.nvidia.com/gpu": "1"}}
    assert not any(k.startswith("limits.nvidia.com") for k in team_quota_spec(research)["hard"])
    no_gpu = settings("dev", teams=[{"name": "web", "ownersGroup": "web"}]).teams[0]
    assert team_quota_spec(no_gpu)["hard"]["requests.nvidia.com/gpu"] == "0"


def test_only_serving_teams_may_use_inference_high():
    research, serving = settings("dev", teams=TEAMS).teams
    assert inference_high_quota_spec(serving) is None
    assert inference_high_quota_spec(research) == {
        "hard": {"pods": "0"},
        "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In",
                                                "values": [INFERENCE_HIGH]}]},
    }


def test_limit_range_defaults_gpus_to_zero_and_caps_them():
    s = settings("dev", teams=TEAMS)
    (container,) = team_limit_range_spec(s.teams[0], gpu_layer(s))["limits"]
    assert container["type"] == "Container"
    # A max without a default would become every container's default: GPUs default to 0, never to the max.
    assert container["default"] == {"nvidia.com/gpu": "0"}
    assert container["defaultRequest"] == {"cpu": "100m", "memory": "256Mi", "nvidia.com/gpu": "0"}
    assert container["max"]["nvidia.com/gpu"] == "1"
    # CPU and memory: explicit default requests (else the max would be copied into them), max = a node.
    vcpu, memory = largest_workload_node(gpu_layer(s))
    assert container["max"]["cpu"] == str(vcpu) and container["max"]["memory"] == f"{int(memory)}Gi"


def test_limit_range_without_gpus_has_no_gpu_entries():
    s = settings("dev", teams=[{"name": "web", "ownersGroup": "web"}])
    (container,) = team_limit_range_spec(s.teams[0], gpu_layer(s))["limits"]
    assert "default" not in container and "nvidia.com/gpu" not in container["max"]


def test_largest_workload_node_ignores_system_and_monitoring_pools():
    s = settings("prod", nodePools=[{"name": "gpu-large", "kind": "gpu", "instanceTypes": ["p5.48xlarge"],
                                     "minSize": 0, "maxSize": 1}])
    assert largest_workload_node(gpu_layer(s)) == (192, 2048)
    assert largest_workload_node(gpu_layer(settings("dev"))) == (8, 32)  # spot m*.2xlarge


def test_team_role_is_namespaced_and_leaves_guardrails_read_only():
    rules = team_role_rules()
    for rule in rules:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
        assert not {"roles", "rolebindings", "namespaces"} & set(rule["resources"])
    writable = {r for rule in rules if "create" in rule["verbs"] or "delete" in rule["verbs"]
                for r in rule["resources"]}
    assert {"deployments", "jobs", "pods", "services", "poddisruptionbudgets", "horizontalpodautoscalers"} <= writable
    assert not {"resourcequotas", "limitranges", "networkpolicies"} & writable
    research = settings("dev", teams=TEAMS).teams[0]
    binding = team_role_binding_spec(research, "team-owner")
    assert binding["subjects"] == [{"kind": "Group", "name": "ml-research-owners",
                                    "apiGroup": "rbac.authorization.k8s.io"}]
    assert binding["role_ref"]["kind"] == "Role"


def test_smoke_test_job():
    s = settings("dev", gpu={"smokeTest": True})
    pool = smoke_test_pool(gpu_layer(s))
    job = smoke_test_job_spec(pool)
    assert "name" not in job["metadata"] and job["metadata"]["namespace"] == "gpu-smoke-test"
    spec = job["spec"]
    assert spec["ttlSecondsAfterFinished"] > 0 and spec["activeDeadlineSeconds"] > 0
    pod = spec["template"]["spec"]
    assert pod["nodeSelector"] == {"node-pool": "gpu"}
    assert pod["tolerations"] == pool.tolerations
    assert pod["priorityClassName"] == TRAINING_LOW and pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["image"] == IMAGES["cuda-smoke-test"] and container["command"] == ["nvidia-smi"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    # An operator upgrade changes the template, which replaces the Job: the test runs again.
    labels = spec["template"]["metadata"]["labels"]
    assert labels["mlplatform.io/gpu-operator-version"] == CHARTS["gpu-operator"].version


def test_smoke_test_prefers_an_on_demand_gpu_pool():
    s = settings("dev", nodePools=[{"name": "gpu", "enabled": False}, GPU_SPOT_POOL,
                                   {"name": "gpu-b", "kind": "gpu", "minSize": 0, "maxSize": 1}])
    assert smoke_test_pool(gpu_layer(s)).name == "gpu-b"
    s = settings("dev", nodePools=[{"name": "gpu", "enabled": False}, GPU_SPOT_POOL])
    pool = smoke_test_pool(gpu_layer(s))
    assert pool.name == "gpu-spot"
    assert {"key": "spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"} in \
        smoke_test_job_spec(pool)["spec"]["template"]["spec"]["tolerations"]


def test_plan_section_shows_capacity_quotas_and_the_warning():
    ok = gpu_plan_section(SimpleNamespace(settings=settings("dev", teams=TEAMS)))
    assert "pool gpu: 2 x g5.xlarge (1 GPU each, ON_DEMAND) = 2 GPUs at maxSize" in ok
    assert "capacity: 2 nvidia.com/gpu; team quotas: 2" in ok
    assert "team ml-research: gpuQuota 1" in ok and "WARNING" not in ok
    over = [{**t, "gpuQuota": 2} for t in TEAMS]
    text = gpu_plan_section(SimpleNamespace(settings=settings("dev", teams=over)))
    assert "WARNING: mlplatform:teams: team GPU quotas add up to 4 GPUs" in text
