"""The GPU layer in the evaluated stacks (mocks): every object, its inputs and its dependencies."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.gpu import GpuStack
from components.iam import OidcIdentity
from domain.settings import SettingsError
from domain.settings.gpu_layer import gpu_layer
from domain.versions import CHARTS, KUBERNETES_VERSION
from policy.mlpolicies.runner import load_stack_config, run_pack
from stacks.offline import ACCOUNT_ID
from tests.conftest import evaluate_stack
from tests.gpu.helpers import GPU_SPOT_POOL, RELEASE, TEAMS, policy_resources, run_program, settings

FULL = {"teams": TEAMS, "gpu": {"smokeTest": True, "timeSlicingReplicas": 2}, "nodePools": [GPU_SPOT_POOL]}
PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass"
NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
GPU_TOL = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
SPOT_TOL = {"key": "spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


@pytest.fixture(scope="module")
def dev_full():
    return evaluate_stack("dev", FULL)


@pytest.fixture(scope="module")
def prod_full():
    return evaluate_stack("prod", {"teams": TEAMS})


def release(ev, name):
    (r,) = [r for r in ev.of_type(RELEASE) if r.inputs["name"] == name]
    return r


def namespace(ev, name):
    (ns,) = [r for r in ev.of_type(NAMESPACE) if r.inputs["metadata"]["name"] == name]
    return ns


def in_namespace(ev, typ, ns):
    return {r.inputs["metadata"]["name"]: r for r in ev.of_type(typ) if r.inputs["metadata"].get("namespace") == ns}


def under(ev, component_type):
    """Custom resources below the first component of `component_type`."""
    (root,) = [r for r in ev.resources if r.type == component_type]
    urns, found = {root.urn}, []
    for r in ev.resources:
        if r.parent in urns:
            urns.add(r.urn)
            if r.custom:
                found.append(r)
    return found


def of_gpu_type(ev, typ):
    """Resources of type `typ` that the GPU layer created."""
    return [r for r in under(ev, "mlplatform:gpu:GpuStack") if r.type == typ]


def test_priority_classes_exist_in_every_stack(stack_eval):
    classes = {r.inputs["metadata"]["name"]: r.inputs for r in stack_eval.of_type(PRIORITY_CLASS)}
    assert set(classes) == {"inference-high", "batch-default", "training-low"}
    assert classes["inference-high"]["preemptionPolicy"] == "PreemptLowerPriority"
    assert classes["training-low"]["preemptionPolicy"] == "Never"
    assert classes["batch-default"]["globalDefault"] is True
    assert classes["inference-high"]["value"] == 100000


def test_gpu_operator_release(stack_eval):
    r = release(stack_eval, "gpu-operator")
    pin = CHARTS["gpu-operator"]
    assert (r.inputs["chart"], r.inputs["version"], r.inputs["namespace"]) == (pin.chart, pin.version, "gpu-operator")
    assert r.inputs["repositoryOpts"]["repo"] == pin.repository
    values = r.inputs["values"]
    assert values["daemonsets"]["tolerations"] == [GPU_TOL]
    assert values["node-feature-discovery"]["worker"]["tolerations"] == [GPU_TOL]
    assert values["driver"]["enabled"] is False and values["toolkit"]["enabled"] is False  # NVIDIA AMI
    assert values["operator"]["nodeSelector"] == {"node-pool": "system"}
    assert values["dcgmExporter"]["enabled"] is True
    ns = namespace(stack_eval, "gpu-operator")
    assert ns.urn in r.dependencies
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    policies = in_namespace(stack_eval, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "gpu-operator")
    sources = policies["default-deny-ingress"].inputs["spec"]["ingress"][0]["from"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}} in sources


def test_autoscaler_release_and_irsa_role(stack_eval):
    s = stack_eval.settings
    r = release(stack_eval, "cluster-autoscaler")
    pin = CHARTS["cluster-autoscaler"]
    assert (r.inputs["chart"], r.inputs["version"], r.inputs["namespace"]) == (pin.chart, pin.version, "kube-system")
    values = r.inputs["values"]
    assert values["replicaCount"] == (1 if s.environment == "dev" else 2)
    assert values["image"]["tag"].startswith(f"v{KUBERNETES_VERSION}.")
    assert values["autoDiscovery"]["clusterName"] == s.cluster_name
    (role,) = [x for x in under(stack_eval, "mlplatform:gpu:ClusterAutoscaler") if x.type == "aws:iam/role:Role"]
    assert values["rbac"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    (condition,) = trust["Statement"]
    assert "system:serviceaccount:kube-system:cluster-autoscaler" in condition["Condition"]["StringEquals"].values()
    (policy,) = [x for x in under(stack_eval, "mlplatform:gpu:ClusterAutoscaler")
                 if x.type == "aws:iam/rolePolicy:RolePolicy"]
    statements = {st["Sid"]: st for st in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["DescribeThisClustersNodeGroups"]["Resource"] == (
        f"arn:aws:eks:{s.region}:{ACCOUNT_ID}:nodegroup/{s.cluster_name}/*/*")
    assert f"aws:ResourceTag/k8s.io/cluster-autoscaler/{s.cluster_name}" in \
        statements["ScaleThisClustersNodeGroups"]["Condition"]["StringEquals"]
    assert role.urn in r.all_dependencies and policy.urn in r.all_dependencies


def test_the_gpu_layer_waits_for_the_system_pool(stack_eval):
    (system,) = [r for r in stack_eval.of_type("eks:index:ManagedNodeGroup") if r.name == "pools-system"]
    resources = under(stack_eval, "mlplatform:gpu:GpuStack")
    assert resources
    for r in resources:
        if r.type.startswith("kubernetes:"):
            assert system.urn in r.all_dependencies, r.name


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_no_teams_and_no_smoke_test_by_default(stack):
    stack_eval = evaluate_stack(stack, {"teams": [], "gpu": {}})
    assert not of_gpu_type(stack_eval, QUOTA)
    assert not of_gpu_type(stack_eval, "kubernetes:core/v1:LimitRange")
    assert not of_gpu_type(stack_eval, "kubernetes:batch/v1:Job")
    assert not any(r.type == "mlplatform:gpu:TeamNamespace" for r in stack_eval.resources)


def test_team_namespace_objects(dev_full):
    ns = namespace(dev_full, "ml-research")
    labels = ns.inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted" and labels["mlplatform.io/team"] == "ml-research"
    netpol = in_namespace(dev_full, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "ml-research")
    sources = netpol["default-deny-ingress"].inputs["spec"]["ingress"][0]["from"]
    assert {"podSelector": {}} in sources
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}} in sources

    quotas = in_namespace(dev_full, QUOTA, "ml-research")
    assert quotas["team-quota"].inputs["spec"]["hard"] == {"requests.cpu": "32", "requests.memory": "128Gi",
                                                           "requests.nvidia.com/gpu": "1"}
    assert quotas["no-inference-high"].inputs["spec"]["hard"] == {"pods": "0"}
    assert "no-inference-high" not in in_namespace(dev_full, QUOTA, "ml-serving")

    (limits,) = in_namespace(dev_full, "kubernetes:core/v1:LimitRange", "ml-research").values()
    (container,) = limits.inputs["spec"]["limits"]
    assert container["default"] == {"nvidia.com/gpu": "0"} and container["max"]["nvidia.com/gpu"] == "1"

    (role,) = in_namespace(dev_full, "kubernetes:rbac.authorization.k8s.io/v1:Role", "ml-research").values()
    (binding,) = in_namespace(dev_full, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "ml-research").values()
    assert binding.inputs["subjects"] == [{"kind": "Group", "name": "ml-research-owners",
                                           "apiGroup": "rbac.authorization.k8s.io"}]
    assert binding.inputs["roleRef"] == {"kind": "Role", "name": role.inputs["metadata"]["name"],
                                         "apiGroup": "rbac.authorization.k8s.io"}
    for r in (*quotas.values(), limits, role):
        assert ns.urn in r.dependencies


def test_time_slicing_and_second_gpu_pool_reach_the_operator(dev_full):
    r = release(dev_full, "gpu-operator")
    values = r.inputs["values"]
    assert values["daemonsets"]["tolerations"] == [GPU_TOL, SPOT_TOL]
    assert values["devicePlugin"]["config"] == {"name": "time-slicing-config", "default": "any"}
    (config_map,) = in_namespace(dev_full, "kubernetes:core/v1:ConfigMap", "gpu-operator").values()
    assert config_map.inputs["metadata"]["name"] == "time-slicing-config"
    assert "replicas: 2" in config_map.inputs["data"]["any"]
    assert config_map.urn in r.dependencies


def test_smoke_test_runs_after_the_operator(dev_full):
    (job,) = of_gpu_type(dev_full, "kubernetes:batch/v1:Job")
    pod = job.inputs["spec"]["template"]["spec"]
    assert job.inputs["metadata"]["namespace"] == "gpu-smoke-test"
    assert pod["nodeSelector"] == {"node-pool": "gpu"} and pod["tolerations"] == [GPU_TOL]
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert job.inputs["spec"]["ttlSecondsAfterFinished"] > 0
    assert release(dev_full, "gpu-operator").urn in job.dependencies
    classes = {r.urn for r in dev_full.of_type(PRIORITY_CLASS)}
    assert classes <= set(job.dependencies)
    assert namespace(dev_full, "gpu-smoke-test").inputs["metadata"]["labels"][
        "pod-security.kubernetes.io/enforce"] == "restricted"
    (quota,) = in_namespace(dev_full, QUOTA, "gpu-smoke-test").values()
    assert quota.inputs["spec"]["hard"] == {"requests.nvidia.com/gpu": "1"}


def test_prod_with_teams(prod_full):
    values = release(prod_full, "cluster-autoscaler").inputs["values"]
    assert values["replicaCount"] == 2 and values["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert {c["topologyKey"] for c in values["topologySpreadConstraints"]} == {
        "topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    assert {r.inputs["metadata"]["name"] for r in prod_full.of_type(NAMESPACE)} >= {"ml-research", "ml-serving"}


@pytest.mark.parametrize(("stack", "fixture"), [("dev", "dev_full"), ("prod", "prod_full")])
def test_the_policy_pack_accepts_the_gpu_layer(stack, fixture, request):
    ev = request.getfixturevalue(fixture)
    mine = {r.urn for r in under(ev, "mlplatform:gpu:GpuStack")}
    violations = run_pack(policy_resources(ev.resources), load_stack_config(stack))
    assert [str(v) for v in violations if v.urn in mine or v.urn is None] == []


def test_oversubscribed_quotas_warn_at_build_time(monkeypatch):
    warnings = []
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **kw: warnings.append(msg))
    over = [{**t, "gpuQuota": 3} for t in TEAMS]  # dev's GPU pool: 4 nodes x 1 GPU
    ev = evaluate_stack("dev", {"teams": over, "gpu": {}, "tags": {"case": "oversubscribed"}})
    assert any(w.startswith("mlplatform:teams: team GPU quotas add up to 6 GPUs") for w in warnings)
    assert len(of_gpu_type(ev, QUOTA)) == 3  # the quotas are still created


def test_a_team_above_capacity_fails_before_any_resource():
    with pytest.raises(SettingsError, match=r"mlplatform:teams\[ml-research\]\.gpuQuota: 5 GPUs exceed"):
        evaluate_stack("dev", {"teams": [{**TEAMS[0], "gpuQuota": 5}]})


def test_without_gpu_pools_there_is_no_operator_but_still_an_autoscaler():
    ev = evaluate_stack("dev", {"nodePools": [{"name": "gpu", "enabled": False}], "teams": [], "gpu": {}})
    names = {r.inputs["name"] for r in ev.of_type(RELEASE)}
    assert "gpu-operator" not in names and "cluster-autoscaler" in names
    assert len(ev.of_type(PRIORITY_CLASS)) == 3


def test_monitoring_dependency_turns_on_the_service_monitors():
    s = settings("dev")

    def program():
        monitoring = k8s.core.v1.ConfigMap("kube-prometheus-stack", metadata={"namespace": "monitoring"})
        GpuStack("gpu", gpu_layer(s), OidcIdentity("arn:aws:iam::123456789012:oidc-provider/x", "https://x"),
                 monitoring_depends_on=[monitoring])

    planned = run_program(program)
    (monitoring,) = [r for r in planned if r.name == "kube-prometheus-stack"]
    releases = {r.inputs["name"]: r for r in planned if r.type == RELEASE}
    operator, autoscaler = releases["gpu-operator"], releases["cluster-autoscaler"]
    assert operator.inputs["values"]["dcgmExporter"]["serviceMonitor"]["enabled"] is True
    (monitor,) = [r for r in planned if r.inputs.get("kind") == "ServiceMonitor"]
    assert monitor.inputs["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/instance": "cluster-autoscaler"}
    assert monitoring.urn in operator.dependencies and monitoring.urn in monitor.dependencies
    # Scaling never waits for the monitoring stack.
    assert monitoring.urn not in autoscaler.dependencies


def test_the_monitoring_crds_turn_on_the_service_monitors(stack_eval):
    """The GPU layer waits for the Prometheus Operator CRDs only, never for kube-prometheus-stack."""
    (crds,) = [r for r in stack_eval.of_type(RELEASE) if r.inputs["chart"] == "prometheus-operator-crds"]
    (monitoring,) = [r for r in stack_eval.of_type(RELEASE) if r.inputs["chart"] == "kube-prometheus-stack"]
    operator, autoscaler = release(stack_eval, "gpu-operator"), release(stack_eval, "cluster-autoscaler")
    assert operator.inputs["values"]["dcgmExporter"]["serviceMonitor"]["enabled"] is True
    (monitor,) = [r for r in stack_eval.resources if r.inputs.get("kind") == "ServiceMonitor"
                  and r.inputs["metadata"]["name"] == "cluster-autoscaler"]
    assert crds.urn in operator.dependencies and crds.urn in monitor.dependencies
    assert crds.urn not in autoscaler.dependencies
    assert not {monitoring.urn} & (operator.all_dependencies | monitor.all_dependencies)


def test_without_monitoring_the_service_monitors_stay_off():
    s = settings("dev")
    planned = run_program(lambda: GpuStack("gpu", gpu_layer(s), OidcIdentity("arn:aws:iam::123456789012:oidc-provider/x",
                                                                   "https://x")))
    releases = {r.inputs["name"]: r for r in planned if r.type == RELEASE}
    assert releases["gpu-operator"].inputs["values"]["dcgmExporter"]["serviceMonitor"] == {"enabled": False}
    assert releases["cluster-autoscaler"].inputs["values"]["serviceMonitor"]["enabled"] is False
    assert not [r for r in planned if r.inputs.get("kind") == "ServiceMonitor"]
