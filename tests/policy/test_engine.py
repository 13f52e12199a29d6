"""The pack as the Pulumi engine drives it: policy/__main__.py's analyzer servicer, fed protobuf requests.

This covers what run_pack cannot: the CLI entry point, GetAnalyzerInfo metadata, Configure with a
--policy-pack-config file, property deserialization (numbers arrive as floats, unknowns as sentinel
strings behind raising proxies), and the enforcement levels on the diagnostics.
"""

import pytest
from harness import (
    LEVEL_NAMES,
    UNKNOWN,
    container,
    engine_analyze,
    engine_analyze_stack,
    engine_configure,
    engine_servicer,
    gpu_pod,
    stack_config_json,
    to_struct,
    workload,
)
from pulumi.runtime import proto
from workload_examples import BROKEN_TWINS, all_examples, cpu_service_example, gpu_inference_example

from policy.mlpolicies import PACK_NAME, POLICIES, POLICIES_BY_NAME

NAMES = [p.name for p in POLICIES]


@pytest.fixture
def servicer(monkeypatch):
    return engine_servicer(monkeypatch)


def diagnostics(response):
    return [(d.policyName, LEVEL_NAMES[d.enforcementLevel], d.message, d.urn) for d in response.diagnostics]


def test_analyzer_info_describes_every_policy(servicer):
    info = servicer.GetAnalyzerInfo(None, None)
    assert info.name == PACK_NAME and info.supportsConfig
    assert [p.name for p in info.policies] == NAMES
    for policy in info.policies:
        source = POLICIES_BY_NAME[policy.name]
        assert policy.description == source.description and policy.remediation_steps
        expected = "advisory" if policy.name == "gpu-node-selector-advised" else "mandatory"
        assert LEVEL_NAMES[policy.enforcementLevel] == expected
        stack = policy.name in ("training-does-not-preempt", "gpu-inference-has-pdb", "gpu-namespace-has-quota",
                                "gpu-autoscaling-within-quota")
        assert policy.policy_type == (proto.PolicyType.POLICY_TYPE_STACK if stack else proto.PolicyType.POLICY_TYPE_RESOURCE)
    schema = next(p for p in info.policies if p.name == "gpu-toleration-required").configSchema
    assert schema.properties["gpuTaintKey"]["default"] == "nvidia.com/gpu"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_examples_pass_through_the_engine(servicer, stack):
    engine_configure(servicer, stack_config_json(stack), NAMES)
    resources = all_examples()
    for resource in resources:
        assert diagnostics(engine_analyze(servicer, resource)) == []
    assert diagnostics(engine_analyze_stack(servicer, resources)) == []


def test_config_sets_enforcement_per_stack(servicer):
    deployment = cpu_service_example()[1]
    deployment["props"]["spec"]["template"]["spec"]["containers"][0]["resources"] = {}
    engine_configure(servicer, stack_config_json("prod"), NAMES)
    assert [(d[0], d[1]) for d in diagnostics(engine_analyze(servicer, deployment))] == [
        ("container-resource-requests", "mandatory")]
    engine_configure(servicer, stack_config_json("dev"), NAMES)
    (name, level, message, _), = diagnostics(engine_analyze(servicer, deployment))
    assert (name, level) == ("container-resource-requests", "advisory")
    assert message.startswith(POLICIES_BY_NAME[name].description)  # the engine prepends the description
    assert 'Deployment web/feature-api: container "api" has no cpu or memory request' in message
    engine_configure(servicer, {"container-resource-requests": "disabled"}, NAMES)
    assert diagnostics(engine_analyze(servicer, deployment)) == []


def test_config_properties_reach_the_policy(servicer):
    agent = workload("DaemonSet", {"containers": [container("agent")], "tolerations": [{"operator": "Exists"}]},
                     namespace="observability")
    engine_configure(servicer, stack_config_json("prod"), NAMES)
    assert {d[0] for d in diagnostics(engine_analyze(servicer, agent))} == {
        "no-gpu-toleration-without-gpu", "spot-for-interruptible-only"}
    config = stack_config_json("prod")
    for name in ("no-gpu-toleration-without-gpu", "spot-for-interruptible-only"):
        config[name]["exemptNamespaces"] = ["observability"]
    engine_configure(servicer, config, NAMES)
    assert diagnostics(engine_analyze(servicer, agent)) == []


def test_numbers_arrive_as_floats_and_still_count(servicer):
    engine_configure(servicer, stack_config_json("prod"), NAMES)
    resource = workload("Deployment", gpu_pod(gpus=2), replicas=3)
    assert diagnostics(engine_analyze(servicer, resource)) == []
    resource = workload("Deployment", gpu_pod(gpus=0.5))
    assert [d[0] for d in diagnostics(engine_analyze(servicer, resource))] == ["gpu-limits-required"]


def test_unknowns_behind_the_engine_proxies_are_not_violations(servicer):
    engine_configure(servicer, stack_config_json("prod"), NAMES)
    pod = gpu_pod(tolerations=UNKNOWN, nodeSelector={"node-pool": UNKNOWN}, priorityClassName=UNKNOWN)
    pod["containers"][0]["image"] = UNKNOWN
    pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] = UNKNOWN
    resource = workload("Job", pod, namespace=UNKNOWN)
    # Neither violations nor the engine's "can't run policy during preview" notes.
    assert diagnostics(engine_analyze(servicer, resource)) == []
    assert diagnostics(engine_analyze_stack(servicer, [resource])) == []


def test_stack_violations_point_at_the_resource(servicer):
    engine_configure(servicer, stack_config_json("prod"), NAMES)
    build, _ = BROKEN_TWINS["inference without PDB"]
    resources = build()
    (name, level, message, urn), = diagnostics(engine_analyze_stack(servicer, resources))
    assert (name, level) == ("gpu-inference-has-pdb", "mandatory")
    assert urn.endswith("::kubernetes:apps/v1:Deployment::llm-server")
    assert "Deployment ml-serving/llm-server: " in message and " GPU replicas but no PodDisruptionBudget" in message


def test_every_broken_twin_is_caught_through_the_engine(servicer):
    engine_configure(servicer, stack_config_json("prod"), NAMES)
    for twin, (build, expected) in BROKEN_TWINS.items():
        resources = build()
        found = {d[0] for r in resources for d in diagnostics(engine_analyze(servicer, r))}
        found |= {d[0] for d in diagnostics(engine_analyze_stack(servicer, resources))}
        assert found == expected, twin


def test_provider_default_namespace(servicer):
    """A Deployment without metadata.namespace lands in the provider's namespace, where its PDB is."""
    engine_configure(servicer, stack_config_json("prod"), NAMES)
    resources = gpu_inference_example()
    for resource in resources:
        if resource["type"].endswith((":Deployment", ":HorizontalPodAutoscaler")):
            del resource["props"]["metadata"]["namespace"]

    def analyze(provider_namespace):
        provider = proto.AnalyzerProviderResource(
            type="pulumi:providers:kubernetes", name="k8s", urn="urn:pulumi:s::p::pulumi:providers:kubernetes::k8s",
            properties=to_struct({"namespace": provider_namespace}))
        request = proto.AnalyzeStackRequest(resources=[
            proto.AnalyzerResource(type=r["type"], name=r["name"], urn=f"urn:pulumi:s::p::{r['type']}::{r['name']}",
                                   properties=to_struct(r["props"]), provider=provider)
            for r in resources])
        return [d[0] for d in diagnostics(servicer.AnalyzeStack(request, None))]

    assert analyze("ml-serving") == []
    assert analyze("elsewhere") == ["gpu-inference-has-pdb", "gpu-namespace-has-quota"]
