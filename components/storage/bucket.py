"""A private, versioned, KMS-encrypted S3 bucket for one service, and the IAM statements to use it.

Everything a bucket needs is here once: MLflow artifacts, the lakeFS blockstore and the ZenML
artifact store are three instances of `ServiceBucket`.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from domain.settings.services import BucketSettings

from .names import bounded_name

MAX_BUCKET_NAME = 63

# Least privilege for an application that owns a bucket's content: list it, read, write and delete
# objects (a delete only adds a delete marker; old versions expire through the lifecycle rule).
# Permanently deleting versions, and changing the bucket's configuration or policy, are not granted.
BUCKET_ACTIONS = ("s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads")
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload",
                  "s3:ListMultipartUploadParts")
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def bucket_name(cluster_name: str, purpose: str, account_id: str, region: str) -> str:
    """Globally unique and deterministic: <cluster>-<purpose>-<account>-<region>, at most 63 characters."""
    return bounded_name([cluster_name, purpose, account_id, region], MAX_BUCKET_NAME)


def tls_only_policy(bucket_arn: str) -> str:
    """Bucket policy: deny every request that does not use TLS."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    }, sort_keys=True)


def access_log_delivery_policy(log_bucket_arn: str, account_id: str) -> str:
    """Log bucket policy: TLS only, and S3 server access log delivery from this account's buckets only (the
    logging service principal, as the S3 User Guide prescribes for buckets with ACLs disabled)."""
    tls = json.loads(tls_only_policy(log_bucket_arn))["Statement"]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [*tls, {
            "Sid": "S3ServerAccessLogsDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{log_bucket_arn}/*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }],
    }, sort_keys=True)


def log_expiry_rules(days: int) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
    return [{"id": "expire-access-logs", "status": "Enabled", "filter": {}, "expiration": {"days": days},
             "noncurrent_version_expiration": {"noncurrent_days": 7},
             "abort_incomplete_multipart_upload": {"days_after_initiation": 7}}]


def lifecycle_rules(settings: BucketSettings) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
    """Expire noncurrent versions, clean up expired delete markers and abandoned multipart uploads."""
    return [{
        "id": "expire-noncurrent-versions",
        "status": "Enabled",
        "filter": {},
        "noncurrent_version_expiration": {"noncurrent_days": settings.noncurrent_version_days},
        "expiration": {"expired_object_delete_marker": True},
        "abort_incomplete_multipart_upload": {"days_after_initiation": settings.abort_incomplete_upload_days},
    }]


def read_write_statements(bucket_arn: str, kms_key_arn: str, region: str) -> list[dict[str, Any]]:
    """IAM statements giving a service read/write use of exactly one bucket and its KMS encryption.

    KMS use is limited to S3 calls (kms:ViaService) for this bucket (its encryption context: the
    bucket ARN with S3 Bucket Keys, the object ARN without).
    """
    return [
        {"Sid": "ListOwnBucket", "Effect": "Allow", "Action": list(BUCKET_ACTIONS), "Resource": bucket_arn},
        {"Sid": "ReadWriteOwnObjects", "Effect": "Allow", "Action": list(OBJECT_ACTIONS), "Resource": f"{bucket_arn}/*"},
        {"Sid": "UseDataKeyForOwnBucket", "Effect": "Allow", "Action": list(KMS_ACTIONS), "Resource": kms_key_arn,
         "Condition": {
             "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
             "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
         }},
    ]


def private_versioned_bucket(parent: pulumi.Resource, name: str, bucket: pulumi.Input[str], protect: bool
                             ) -> tuple[aws.s3.Bucket, list[pulumi.Resource], aws.s3.BucketVersioning]:
    """A versioned bucket (protected and retained where data must survive) with owner-enforced objects and
    every public access blocked; returns it, the guards its policy must wait for, and its versioning."""
    child = pulumi.ResourceOptions(parent=parent)
    created = aws.s3.Bucket(name, bucket=bucket, force_destroy=False,
                            opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect))
    ownership = aws.s3.BucketOwnershipControls(
        name, bucket=created.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child)
    public_block = aws.s3.BucketPublicAccessBlock(
        name, bucket=created.id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True,
        restrict_public_buckets=True, opts=child)
    versioning = aws.s3.BucketVersioning(
        name, bucket=created.id, versioning_configuration={"status": "Enabled"}, opts=child)
    return created, [ownership, public_block], versioning


class ServiceBucket(pulumi.ComponentResource):
    """Versioned, SSE-KMS (bucket key), all public access blocked, TLS only, owner-enforced, lifecycle."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, *, bucket: pulumi.Input[str], kms_key_arn: pulumi.Input[str],
                 settings: BucketSettings, protect: bool, access_log_bucket: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:storage:ServiceBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket, guards, versioning = private_versioned_bucket(self, name, bucket, protect)
        bucket_id = self.bucket.id
        aws.s3.BucketServerSideEncryptionConfiguration(
            name, bucket=bucket_id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                                 "kms_master_key_id": kms_key_arn},
                    "bucket_key_enabled": True}],
            opts=child)
        aws.s3.BucketPolicy(
            name, bucket=bucket_id, policy=self.bucket.arn.apply(tls_only_policy),
            opts=pulumi.ResourceOptions(parent=self, depends_on=guards))
        aws.s3.BucketLifecycleConfiguration(
            name, bucket=bucket_id, rules=lifecycle_rules(settings),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]))
        if access_log_bucket is not None:
            # Server access logs, one prefix per bucket.
            aws.s3.BucketLogging(name, bucket=bucket_id, target_bucket=access_log_bucket,
                                 target_prefix=pulumi.Output.concat(self.bucket.bucket, "/"), opts=child)
        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"name": self.name, "arn": self.arn})


class AccessLogBucket(pulumi.ComponentResource):
    """The bucket that receives the services' S3 server access logs: SSE-S3 (log delivery does not support
    SSE-KMS default encryption), all public access blocked, owner-enforced, TLS only, versioned, logs expire."""

    name: pulumi.Output[str]

    def __init__(self, name: str, *, bucket: pulumi.Input[str], account_id: pulumi.Input[str], retention_days: int,
                 protect: bool, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:storage:AccessLogBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket, guards, versioning = private_versioned_bucket(self, name, bucket, protect)
        bucket_id = self.bucket.id
        aws.s3.BucketServerSideEncryptionConfiguration(
            name, bucket=bucket_id, rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child)
        aws.s3.BucketPolicy(
            name, bucket=bucket_id,
            policy=pulumi.Output.all(self.bucket.arn, account_id).apply(lambda a: access_log_delivery_policy(*a)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=guards))
        aws.s3.BucketLifecycleConfiguration(name, bucket=bucket_id, rules=log_expiry_rules(retention_days),
                                            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]))
        self.name = self.bucket.bucket
        self.register_outputs({"name": self.name})
