"""IAM building blocks shared by every component: policy documents as pure functions, IRSA roles."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

AWS_MANAGED = "arn:aws:iam::aws:policy/"


def policy_document(statements: Sequence[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust_policy(service: str) -> str:
    """Trust policy for an AWS service principal (ec2.amazonaws.com, ...)."""
    return policy_document([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])


def irsa_trust_policy(oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> str:
    """Trust policy letting exactly one Kubernetes service account assume the role (IRSA)."""
    issuer = oidc_issuer.removeprefix("https://")
    return policy_document([{
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
            f"{issuer}:aud": "sts.amazonaws.com",
        }},
    }])


class OidcIdentity:
    """The cluster's OIDC provider, as IRSA roles need it."""

    def __init__(self, provider_arn: pulumi.Input[str], issuer: pulumi.Input[str]):
        self.provider_arn = pulumi.Output.from_input(provider_arn)
        self.issuer = pulumi.Output.from_input(issuer)


class ServiceAccountRole(pulumi.ComponentResource):
    """An IAM role for one Kubernetes service account (IRSA), with its own least-privilege policy."""

    arn: pulumi.Output[str]

    def __init__(self, name: str, oidc: OidcIdentity, namespace: str, service_account: str, *,
                 policy: pulumi.Input[str] | None = None, managed_policy_arns: Sequence[str] = (),
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:iam:ServiceAccountRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        trust = pulumi.Output.all(oidc.provider_arn, oidc.issuer).apply(
            lambda a: irsa_trust_policy(a[0], a[1], namespace, service_account))
        role = aws.iam.Role(name, assume_role_policy=trust,
                            description=f"IRSA role for {namespace}/{service_account}", opts=child)
        if policy is not None:
            aws.iam.RolePolicy(name, role=role.id, policy=policy, opts=child)
        for i, arn in enumerate(managed_policy_arns):
            aws.iam.RolePolicyAttachment(f"{name}-{i}", role=role.name, policy_arn=arn, opts=child)
        self.arn = role.arn
        self.namespace = namespace
        self.service_account = service_account
        self.register_outputs({"arn": role.arn})

    @property
    def annotation(self) -> dict[str, pulumi.Output[str]]:
        """The service-account annotation that binds pods to this role."""
        return {"eks.amazonaws.com/role-arn": self.arn}
