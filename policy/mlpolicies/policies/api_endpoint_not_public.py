"""api-endpoint-not-public: a public EKS API endpoint is restricted to known CIDRs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..framework import resource_policy
from ..settings import Settings
from ..values import UNKNOWN, Props, as_list, dig

NAME = "api-endpoint-not-public"
_WORLD = ("0.0.0.0/0", "::/0")


def _check(public: Any, cidrs: Any, fix: str) -> Iterator[str]:
    # Both pulumi_eks and the EKS API default to a public endpoint open to 0.0.0.0/0.
    if public is UNKNOWN or public is False or cidrs is UNKNOWN:
        return
    cidrs = as_list(cidrs)
    if cidrs is UNKNOWN:
        return
    if not cidrs:
        yield (f"exposes the Kubernetes API endpoint publicly with no publicAccessCidrs, which means "
               f"0.0.0.0/0. {fix}")
    elif any(c in _WORLD for c in cidrs):
        yield f"exposes the Kubernetes API endpoint to the whole internet ({', '.join(c for c in cidrs if c in _WORLD)}). {fix}"


def check_eks_component(props: Props, settings: Settings) -> Iterator[str]:
    public = props.get("endpointPublicAccess")
    return _check(True if public is None else public, props.get("publicAccessCidrs"),
                  "Set endpoint_public_access=False (reach it through the VPC), or list your office/VPN "
                  "ranges in public_access_cidrs.")


def check_aws_cluster(props: Props, settings: Settings) -> Iterator[str]:
    public = dig(props, "vpcConfig", "endpointPublicAccess")
    return _check(True if public is None else public, dig(props, "vpcConfig", "publicAccessCidrs"),
                  "Set vpc_config.endpoint_public_access=False, or list your office/VPN ranges in "
                  "vpc_config.public_access_cidrs.")


POLICY = resource_policy(
    name=NAME,
    description="EKS API endpoints are private, or public only to explicit CIDRs (never 0.0.0.0/0 or an empty list).",
    remediation="""
Prefer a private endpoint (endpoint_private_access=True, endpoint_public_access=False) and reach the
API through the VPC (VPN, bastion, CI runners in the VPC). If it must stay public, restrict it:

Python (pulumi_eks):
  eks.Cluster("ml", ..., endpoint_private_access=True, endpoint_public_access=True,
              public_access_cidrs=["203.0.113.0/24"])

Python (pulumi_aws):
  vpc_config={"endpoint_public_access": True, "public_access_cidrs": ["203.0.113.0/24"], ...}

An empty public_access_cidrs does not mean "nobody": EKS then allows 0.0.0.0/0.
""",
    checks={"eks:index:Cluster": check_eks_component, "aws:eks/cluster:Cluster": check_aws_cluster},
    tags=("hygiene", "security", "eks"),
)
