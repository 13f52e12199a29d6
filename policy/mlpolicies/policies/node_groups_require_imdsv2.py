"""node-groups-require-imdsv2: nodes only serve IMDSv2, one hop away (pods cannot reach it)."""

from __future__ import annotations

from collections.abc import Iterator

from ..framework import resource_policy
from ..settings import Settings
from ..values import UNKNOWN, Props

NAME = "node-groups-require-imdsv2"
_METADATA_OPTIONS = ('metadata_options={"http_endpoint": "enabled", "http_tokens": "required", '
                     '"http_put_response_hop_limit": 1}')


def check_launch_template(props: Props, settings: Settings) -> Iterator[str]:
    options = props.get("metadataOptions")
    if options is UNKNOWN:
        return
    if not isinstance(options, dict):
        yield f"has no metadataOptions, so instances accept IMDSv1. Set {_METADATA_OPTIONS}."
        return
    if options.get("httpEndpoint") == "disabled":
        return  # no metadata service at all is stricter still
    tokens, hops = options.get("httpTokens"), options.get("httpPutResponseHopLimit")
    if tokens is not UNKNOWN and tokens != "required":
        yield (f"metadataOptions.httpTokens is {tokens or 'unset (optional)'}, which allows IMDSv1 "
               f'(credential theft through SSRF). Set http_tokens="required".')
    if hops is not UNKNOWN and hops != 1:
        yield (f"metadataOptions.httpPutResponseHopLimit is {hops if hops is not None else 'unset'}; any value "
               f"but 1 lets pods read the node role's credentials. Set http_put_response_hop_limit=1.")


def check_eks_managed_group(props: Props, settings: Settings) -> Iterator[str]:
    if not props.get("launchTemplate") and not props.get("enableIMDSv2"):
        yield ("uses the EKS default launch template, which allows IMDSv1 with hop limit 2. Pass a "
               f"launch_template whose LaunchTemplate sets {_METADATA_OPTIONS}, or set enable_imd_sv2=True (enableIMDSv2).")


def check_aws_node_group(props: Props, settings: Settings) -> Iterator[str]:
    if not props.get("launchTemplate"):
        yield ("uses the EKS default launch template, which allows IMDSv1 with hop limit 2. Set "
               f"launch_template to a LaunchTemplate with {_METADATA_OPTIONS}.")


POLICY = resource_policy(
    name=NAME,
    description="Node launch templates require IMDSv2 tokens with a hop limit of 1; managed node groups use "
                "such a launch template (or pulumi_eks enableIMDSv2).",
    remediation="""
Python (pulumi_aws + pulumi_eks):
  lt = aws.ec2.LaunchTemplate("gpu", metadata_options={
      "http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1})
  eks.ManagedNodeGroup("gpu", ..., launch_template={"id": lt.id, "version": lt.latest_version.apply(str)})

or, without a custom launch template: eks.ManagedNodeGroup("gpu", ..., enable_imd_sv2=True)  # the enableIMDSv2 input
Pods that need AWS credentials get them from IRSA / EKS Pod Identity, never from the node.
""",
    checks={
        "aws:ec2/launchTemplate:LaunchTemplate": check_launch_template,
        "eks:index:ManagedNodeGroup": check_eks_managed_group,
        "aws:eks/nodeGroup:NodeGroup": check_aws_node_group,
    },
    tags=("hygiene", "security", "eks"),
)
