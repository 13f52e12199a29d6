"""cluster-secrets-encryption: EKS clusters envelope-encrypt Kubernetes secrets with KMS."""

from __future__ import annotations

from collections.abc import Iterator

from ..framework import resource_policy
from ..settings import Settings
from ..values import UNKNOWN, Props, as_list, dig

NAME = "cluster-secrets-encryption"


def check_eks_component(props: Props, settings: Settings) -> Iterator[str]:
    if not props.get("encryptionConfigKeyArn"):
        yield "has no encryptionConfigKeyArn, so Kubernetes secrets are stored unencrypted in etcd. " \
              "Set encryption_config_key_arn=<KMS key ARN>."


def check_aws_cluster(props: Props, settings: Settings) -> Iterator[str]:
    config = props.get("encryptionConfig")
    if config is UNKNOWN:
        return
    if not config:
        yield ('has no encryptionConfig, so Kubernetes secrets are stored unencrypted in etcd. Set '
               'encryption_config={"resources": ["secrets"], "provider": {"key_arn": <KMS key ARN>}}.')
        return
    resources = as_list(dig(config, "resources"))
    if resources is not UNKNOWN and "secrets" not in resources:
        yield 'encryptionConfig.resources does not include "secrets". Set resources: ["secrets"].'
    if not dig(config, "provider", "keyArn"):
        yield "encryptionConfig.provider.keyArn is not set. Set it to a KMS key ARN."


POLICY = resource_policy(
    name=NAME,
    description="EKS clusters encrypt Kubernetes secrets with a KMS key (eks.Cluster encryptionConfigKeyArn; "
                "aws.eks.Cluster encryptionConfig).",
    remediation="""
Create a KMS key (with rotation) and pass it to the cluster. Encryption can be enabled on an existing
cluster but never disabled.

Python (pulumi_eks):
  key = aws.kms.Key("eks-secrets", enable_key_rotation=True)
  eks.Cluster("ml", ..., encryption_config_key_arn=key.arn)

Python (pulumi_aws):
  aws.eks.Cluster("ml", ..., encryption_config={"resources": ["secrets"], "provider": {"key_arn": key.arn}})
""",
    checks={"eks:index:Cluster": check_eks_component, "aws:eks/cluster:Cluster": check_aws_cluster},
    tags=("hygiene", "security", "eks"),
)
