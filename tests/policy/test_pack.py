"""The pack's shape, its per-stack config files, and the runner's enforcement rules."""

import json
import re

import jsonschema
import pytest
from harness import REPO_ROOT, container, gpu_pod, load_stack_config, run_pack, workload
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from policy.mlpolicies import PACK_NAME, POLICIES, POLICIES_BY_NAME, Violation, resolve_config

EXPECTED = {
    # name: (dev, staging, prod)
    "gpu-limits-required": ("mandatory", "mandatory", "mandatory"),
    "gpu-toleration-required": ("mandatory", "mandatory", "mandatory"),
    "gpu-node-selector-advised": ("advisory", "advisory", "advisory"),
    "no-gpu-toleration-without-gpu": ("mandatory", "mandatory", "mandatory"),
    "spot-for-interruptible-only": ("advisory", "mandatory", "mandatory"),
    "training-does-not-preempt": ("advisory", "mandatory", "mandatory"),
    "gpu-inference-has-pdb": ("advisory", "mandatory", "mandatory"),
    "gpu-namespace-has-quota": ("advisory", "mandatory", "mandatory"),
    "gpu-autoscaling-within-quota": ("advisory", "mandatory", "mandatory"),
    "gpu-workloads-readable": ("advisory", "mandatory", "mandatory"),
    "node-group-taints": ("mandatory", "mandatory", "mandatory"),
    "gpu-helm-release-tolerations": ("mandatory", "mandatory", "mandatory"),
    "container-resource-requests": ("advisory", "mandatory", "mandatory"),
    "no-latest-images": ("advisory", "mandatory", "mandatory"),
    "cluster-secrets-encryption": ("advisory", "mandatory", "mandatory"),
    "api-endpoint-not-public": ("advisory", "mandatory", "mandatory"),
    "node-groups-require-imdsv2": ("advisory", "mandatory", "mandatory"),
}
STACKS = ("dev", "staging", "prod")


def test_pack_identity():
    assert PACK_NAME == "ml-platform-guardrails"
    assert [p.name for p in POLICIES] == list(EXPECTED)
    yaml_text = (REPO_ROOT / "policy" / "PulumiPolicy.yaml").read_text()
    assert "name: python" in yaml_text and "description:" in yaml_text
    main = (REPO_ROOT / "policy" / "__main__.py").read_text()
    assert main.count("PolicyPack(") == 1  # and nothing else runs at import time


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_policy_metadata(policy):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
    assert policy.description.endswith(".") and len(policy.description) > 40
    assert policy.remediation_steps and len(policy.remediation_steps) > 100
    assert policy.enforcement_level is not None and policy.severity is not None and policy.tags
    assert policy.config_schema is not None
    for option, schema in policy.config_schema.properties.items():
        assert {"type", "default", "description"} <= set(schema), option
        jsonschema.validate(schema["default"], schema)


def test_modules_are_named_after_their_policies():
    modules = {p.stem for p in (REPO_ROOT / "policy" / "mlpolicies" / "policies").glob("*.py")} - {"__init__"}
    assert modules == {name.replace("-", "_") for name in EXPECTED}


@pytest.mark.parametrize("stack", STACKS)
def test_stack_config_files(stack):
    """`all` sets the level; a policy's entry names only its exception and its options."""
    config = load_stack_config(stack)
    assert isinstance(config["all"], str) and set(config) - {"all"} <= set(EXPECTED)
    for name, entry in config.items():
        if name == "all":
            continue
        entry = {"enforcementLevel": entry} if isinstance(entry, str) else entry
        assert entry.get("enforcementLevel") != config["all"], f"{name} repeats the `all` level"
        options = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        schema = POLICIES_BY_NAME[name].config_schema
        jsonschema.validate(options, {"type": "object", "properties": schema.properties, "additionalProperties": False})
    levels = {p.name: level.value for p, level, _ in resolve_config(POLICIES, config)}
    assert levels == {name: per_stack[STACKS.index(stack)] for name, per_stack in EXPECTED.items()}


def test_prod_is_mandatory_except_the_advisory_policy():
    levels = {p.name: level.value for p, level, _ in resolve_config(POLICIES, load_stack_config("prod"))}
    assert {n for n, level in levels.items() if level != "mandatory"} == {"gpu-node-selector-advised"}


def test_unknown_stack_config():
    with pytest.raises(FileNotFoundError, match="known stacks"):
        load_stack_config("qa")


class TestRunner:
    BROKEN = workload("Deployment", {"containers": [container(cpu=None)], "tolerations": [{"operator": "Exists"}]})

    def names_and_levels(self, config):
        return {(v.policy_name, v.enforcement) for v in run_pack([self.BROKEN], config)}

    def test_defaults(self):
        assert self.names_and_levels(None) == {
            ("container-resource-requests", "mandatory"), ("no-gpu-toleration-without-gpu", "mandatory"),
            ("spot-for-interruptible-only", "mandatory")}

    def test_policy_entry_wins_over_all(self):
        config = {"all": "advisory", "container-resource-requests": {"enforcementLevel": "mandatory"}}
        assert self.names_and_levels(config) == {
            ("container-resource-requests", "mandatory"), ("no-gpu-toleration-without-gpu", "advisory"),
            ("spot-for-interruptible-only", "advisory")}

    def test_disabled_and_remediate(self):
        config = {"all": "disabled", "spot-for-interruptible-only": "remediate"}
        assert self.names_and_levels(config) == {("spot-for-interruptible-only", "mandatory")}

    def test_options_without_level_keep_the_default(self):
        config = {"no-gpu-toleration-without-gpu": {"exemptNamespaces": ["ml"]}}
        assert ("no-gpu-toleration-without-gpu", "mandatory") not in self.names_and_levels(config)

    @pytest.mark.parametrize("config,error", [
        ({"gpu-limit-required": "mandatory"}, "unknown policies"),
        ({"gpu-limits-required": "strict"}, "not one of"),
        ({"gpu-limits-required": 3}, "expected an enforcement level"),
    ])
    def test_bad_config(self, config, error):
        with pytest.raises(ValueError, match=error):
            run_pack([], config)

    def test_violation_fields(self):
        violation, = run_pack([self.BROKEN], policies=[POLICIES_BY_NAME["container-resource-requests"]])
        assert violation == Violation("container-resource-requests", "mandatory", "w",
                                      violation.message, "kubernetes:apps/v1:Deployment",
                                      "urn:pulumi:offline::ml-platform::kubernetes:apps/v1:Deployment::w")
        assert violation.blocking and str(violation).startswith("[mandatory] container-resource-requests: ")

    def test_stack_and_resource_policies_run_in_one_call(self):
        job = workload("Job", gpu_pod())
        found = run_pack([job], load_stack_config("prod"))
        assert {v.policy_name for v in found} == {"training-does-not-preempt", "gpu-namespace-has-quota"}
        assert all(isinstance(POLICIES_BY_NAME[v.policy_name], StackValidationPolicy) for v in found)

    def test_resources_need_type_and_name(self):
        with pytest.raises(ValueError, match="has no 'type'"):
            run_pack([{"name": "x", "props": {}}])

    def test_config_files_are_json_the_cli_accepts(self):
        for stack in STACKS:
            raw = json.loads((REPO_ROOT / "policy" / "config" / f"{stack}.json").read_text())
            for entry in raw.values():
                level = entry if isinstance(entry, str) else entry.get("enforcementLevel", "advisory")
                assert EnforcementLevel(level)


def test_third_party_policies_get_the_engines_unknown_handling():
    def validate(args, report):
        report("seen before the unknown")
        raise UnknownValueError(UNKNOWN_STRING_VALUE, ["spec", "image"])

    probe = ResourceValidationPolicy(name="probe", description="Reads an unknown.", validate=validate,
                                     enforcement_level=EnforcementLevel.MANDATORY)
    found = run_pack([workload("Pod", {"containers": []})], policies=[probe])
    assert [(v.enforcement, v.message) for v in found] == [
        ("mandatory", "seen before the unknown"),
        ("advisory", "can't run policy 'probe' during preview: string value at .spec.image can't be known during preview"),
    ]
