"""gpu-workloads-readable: a GPU workload the pack cannot read fails closed (no back door)."""

from harness import GPU_TOLERATION, container, gpu_pod, resource, violations

POLICY = "gpu-workloads-readable"
CR = "kubernetes:apiextensions.k8s.io:CustomResource"


def custom(spec, kind="ModelServer", group="example.com", name="llm", namespace="team-a"):
    return resource(CR, {"apiVersion": f"{group}/v1", "kind": kind,
                         "metadata": {"name": name, "namespace": namespace}, "spec": spec})


def release(chart, values, name="thing"):
    return resource("kubernetes:helm.sh/v3:Release", {"chart": chart, "name": name, "namespace": "team-a",
                                                       "values": values})


def test_unknown_kind_with_flat_gpu_request_fails():
    found = violations(POLICY, custom({"resources": {"limits": {"nvidia.com/gpu": 1}}, "image": "srv:1"}))
    assert len(found) == 1 and "GPU workload the gate cannot read: add its kind or chart to the pack" in found[0]
    assert "spec.resources.limits.nvidia.com/gpu" in found[0] and '"kind": "example.com/ModelServer"' in found[0]


def test_gpu_count_under_a_gpu_key_counts():
    assert violations(POLICY, custom({"deployment": {"numGpus": "2"}}))
    assert violations(POLICY, custom({"deployment": {"gpuMemoryUtilization": 0.9}})) == []
    assert violations(POLICY, custom({"deployment": {"gpu": 0}})) == []


def test_unknown_kind_whose_pods_the_walker_finds_passes():
    # The generic walker reads the embedded pod template, so the pod policies check it instead.
    spec = {"replicas": 2, "podTemplate": {"metadata": {"labels": {"app": "x"}}, "spec": gpu_pod()}}
    assert violations(POLICY, custom(spec)) == []


def test_gpu_mention_outside_the_pods_found_still_fails():
    spec = {"template": {"spec": {"containers": [container()]}}, "accelerator": {"resource": "nvidia.com/gpu"}}
    assert "spec.accelerator.resource" in violations(POLICY, custom(spec))[0]


def test_declared_and_built_in_kinds_are_never_reported():
    assert violations(POLICY, custom({"resources": {"limits": {"nvidia.com/gpu": 1}}}, kind="NIMService",
                                     group="apps.nvidia.com")) == []
    quota = resource("kubernetes:core/v1:ResourceQuota", {"spec": {"hard": {"requests.nvidia.com/gpu": "4"}}})
    assert violations(POLICY, quota) == []


def test_no_gpu_no_violation():
    assert violations(POLICY, custom({"replicas": 3, "image": "web:1"})) == []


def test_exemptions_need_a_matching_kind_or_chart():
    gpu = custom({"resources": {"limits": {"nvidia.com/gpu": 1}}})
    exempt = {"exemptions": [{"kind": "example.com/ModelServer", "name": "llm", "reason": "vendor adds tolerations"}]}
    assert violations(POLICY, gpu, config=exempt) == []
    assert violations(POLICY, gpu, config={"exemptions": [{"kind": "ModelServer", "reason": "all of them"}]}) == []
    assert violations(POLICY, gpu, config={"exemptions": [{"kind": "Other", "reason": "x"}]})
    assert violations(POLICY, gpu, config={"exemptions": [{"kind": "ModelServer", "name": "other", "reason": "x"}]})
    assert violations(POLICY, gpu, config={"exemptions": [{"reason": "names nothing"}]})


def test_unknown_chart_that_asks_for_gpus_fails():
    found = violations(POLICY, release("oci://example.com/charts/model-server", {"gpu": {"count": 1},
                                                                                 "resources": {"limits": {"nvidia.com/gpu.shared": 1}}}))
    assert len(found) == 1 and "Helm chart model-server" in found[0]
    assert violations(POLICY, release("model-server", {"replicas": 2})) == []
    exempt = {"exemptions": [{"chart": "model-server", "reason": "reviewed"}]}
    assert violations(POLICY, release("model-server", {"resources": {"limits": {"nvidia.com/gpu": 1}}}),
                      config=exempt) == []


def test_known_charts_are_left_to_the_helm_policy():
    values = {"servingEngineSpec": {"modelSpec": [{"name": "m", "requestGPU": 1}], "tolerations": [GPU_TOLERATION]}}
    assert violations(POLICY, release("vllm/vllm-stack", values)) == []
    assert violations(POLICY, release("gpu-operator", {"daemonsets": {"tolerations": [GPU_TOLERATION]}})) == []


def test_exemptions_are_listed_in_the_plans_policy_section():
    from stacks.plan import render_verdicts
    from stacks.review.verdicts import Verdicts, exemptions

    config = {"gpu-workloads-readable": {"exemptions": [
        {"kind": "example.com/ModelServer", "namespace": "team-a", "reason": "vendor operator adds tolerations"}]}}
    listed = exemptions(config)
    text = render_verdicts(Verdicts("policy/config/prod.json", ["gpu-workloads-readable"], [], listed))
    assert "exempt from gpu-workloads-readable: 1" in text
    assert "kind example.com/ModelServer namespace team-a: vendor operator adds tolerations" in text
    assert Verdicts("x", [], [], listed).as_dict()["exemptions"] == listed
    assert exemptions({}) == [] and exemptions({"gpu-workloads-readable": "advisory"}) == []
