"""The customer-managed KMS key that encrypts the services' buckets and databases."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.cluster import kms_key_policy


class DataKey(pulumi.ComponentResource):
    """One rotating CMK for the services' data at rest (S3 SSE-KMS with bucket keys, RDS storage).

    The key policy delegates to IAM (account root), so each service role is granted use of the key
    in its own IAM policy, scoped to its own bucket through the S3 encryption context.
    """

    arn: pulumi.Output[str]

    def __init__(self, name: str, *, alias: str, account_id: pulumi.Input[str], protect: bool,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:storage:DataKey", name, None, opts)
        self.key = aws.kms.Key(
            name,
            description=f"Data at rest of the MLOps services ({alias})",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.from_input(account_id).apply(kms_key_policy),
            opts=pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect),
        )
        aws.kms.Alias(name, name=f"alias/{alias}", target_key_id=self.key.key_id,
                      opts=pulumi.ResourceOptions(parent=self))
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})
