"""Stateful AWS storage shared by the MLOps services: KMS key, S3 buckets, RDS instances."""

from .bucket import AccessLogBucket, ServiceBucket, bucket_name, read_write_statements
from .database import DatabaseConnection, RdsInstance, rds_identifier
from .kms import DataKey

__all__ = ["AccessLogBucket", "DataKey", "DatabaseConnection", "RdsInstance", "ServiceBucket", "bucket_name", "rds_identifier", "read_write_statements"]
