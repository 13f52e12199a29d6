"""Nothing open: no wildcard IAM, no public S3, databases reachable only from nodes, no plaintext secrets."""

from __future__ import annotations

import json
from typing import Any

from stacks.offline import Evaluation

POLICY_TYPES = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
}


def as_list(x: Any) -> list:
    return x if isinstance(x, list) else [x]


def policy_statements(ev: Evaluation) -> list[tuple[str, dict]]:
    out = []
    for r in ev.resources:
        key = POLICY_TYPES.get(r.type)
        doc = r.inputs.get(key) if key else None
        if isinstance(doc, str):
            doc = json.loads(doc)
        for st in as_list((doc or {}).get("Statement", [])):
            out.append((f"{r.type}::{r.name}", st))
    return out


def test_no_iam_statement_allows_every_action_on_every_resource(stack_eval):
    statements = policy_statements(stack_eval)
    assert len(statements) >= 5
    wildcard = [(name, st) for name, st in statements
                if st.get("Effect") == "Allow" and "*" in as_list(st.get("Action", []))
                and "*" in as_list(st.get("Resource", ["*"]))]
    assert wildcard == []


def test_no_service_action_wildcard_on_every_resource(stack_eval):
    """`s3:*` on `*` is as bad as `*` on `*` for that service."""
    bad = [(name, st) for name, st in policy_statements(stack_eval)
           if st.get("Effect") == "Allow" and "*" in as_list(st.get("Resource", []))
           and any(a.endswith(":*") for a in as_list(st.get("Action", [])))]
    assert bad == []


def random_values(ev: Evaluation) -> set[str]:
    return {str(r.outputs["result"]) for r in ev.resources if r.type.startswith("random:") and "result" in r.outputs}


def test_no_generated_secret_in_plaintext_anywhere(stack_eval):
    """Every input that carries a generated secret is marked secret, so it never prints or lands in state plain."""
    secrets = random_values(stack_eval)
    for r in stack_eval.resources:
        if r.type.startswith("random:"):
            continue
        text = json.dumps(r.masked_inputs, default=str)
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{r.type} {r.name} carries a generated secret in plaintext"
    outputs = json.dumps({k: v for k, v in stack_eval.outputs.items() if k not in stack_eval.secret_outputs}, default=str)
    assert not [s for s in secrets if s in outputs]


def test_no_secret_in_helm_values_or_config_maps(stack_eval):
    """Helm values and ConfigMaps reference Secrets by name; they never hold the value, even marked secret."""
    secrets = random_values(stack_eval)
    for r in stack_eval.resources:
        if r.type in ("kubernetes:helm.sh/v3:Release", "kubernetes:core/v1:ConfigMap"):
            text = json.dumps(r.inputs, default=str)
            assert not [s for s in secrets if s in text], f"{r.type} {r.name} embeds a generated secret"


def test_every_bucket_blocks_public_access(stack_eval):
    buckets = [r for r in stack_eval.resources if r.type in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")]
    blocks = stack_eval.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert len(blocks) == len(buckets)
    for b in blocks:
        assert all(b.inputs.get(k) is True for k in
                   ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))


def test_databases_are_reachable_only_from_the_nodes(stack_eval):
    databases = [r for r in stack_eval.resources if r.type == "aws:rds/instance:Instance"]
    for db in databases:
        assert db.inputs.get("publiclyAccessible") in (None, False)
    rules = [r for r in stack_eval.resources if r.type in (
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/securityGroupRule:SecurityGroupRule")]
    for rule in rules:
        i = rule.inputs
        if i.get("type", "ingress") != "ingress":
            continue
        assert not i.get("cidrIpv4") and not i.get("cidrBlocks"), f"{rule.name} opens a CIDR"
        assert i.get("referencedSecurityGroupId") or i.get("sourceSecurityGroupId")
    for sg in stack_eval.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for ingress in sg.inputs.get("ingress") or []:
            assert "0.0.0.0/0" not in (ingress.get("cidrBlocks") or []), sg.name


def test_prod_api_endpoint_is_private():
    from tests.conftest import evaluate_stack

    (cluster,) = evaluate_stack("prod").of_type("eks:index:Cluster")
    assert cluster.inputs["endpointPublicAccess"] is False


def test_every_namespace_has_pod_security_and_default_deny(stack_eval):
    policies = stack_eval.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    deny = {p.inputs["metadata"]["namespace"] for p in policies
            if p.inputs["spec"]["podSelector"] == {} and "Ingress" in p.inputs["spec"]["policyTypes"]}
    namespaces = stack_eval.of_type("kubernetes:core/v1:Namespace")
    for ns in namespaces:
        name = ns.inputs["metadata"]["name"]
        labels = ns.inputs["metadata"].get("labels", {})
        assert labels.get("pod-security.kubernetes.io/enforce") in ("restricted", "baseline", "privileged"), name
        assert name in deny, f"namespace {name} has no default-deny ingress policy"
