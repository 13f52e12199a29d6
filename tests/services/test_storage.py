"""Pure tests of the storage building blocks: names, bucket policies, IAM statements, RDS arguments."""

from __future__ import annotations

import json
import re

import pytest

from components.ingress import controller_policy_statements
from components.services.zenml import secrets_store_statements
from components.storage.bucket import bucket_name, lifecycle_rules, read_write_statements, tls_only_policy
from components.storage.database import (
    engine_spec,
    final_snapshot_identifier,
    instance_args,
    rds_identifier,
)
from components.storage.names import bounded_name, partition
from domain.settings.services import BucketSettings
from domain.versions import DATABASE_ENGINES

from .helpers import settings

BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
RDS_RE = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,61}[a-z0-9]$")


def test_bucket_names_are_deterministic_unique_and_valid() -> None:
    name = bucket_name("mlplatform-prod", "mlflow", "123456789012", "us-west-2")
    assert name == "mlplatform-prod-mlflow-123456789012-us-west-2"
    assert name == bucket_name("mlplatform-prod", "mlflow", "123456789012", "us-west-2")
    assert name != bucket_name("mlplatform-prod", "lakefs", "123456789012", "us-west-2")
    assert name != bucket_name("mlplatform-prod", "mlflow", "210987654321", "us-west-2")
    long_a = bucket_name("Team-A-" + "x" * 90, "lakefs", "123456789012", "eu-central-1")
    long_b = bucket_name("Team-A-" + "x" * 89 + "y", "lakefs", "123456789012", "eu-central-1")
    for n in (name, long_a, long_b):
        assert BUCKET_RE.match(n) and len(n) <= 63, n
    assert long_a != long_b and long_a.endswith("-lakefs-123456789012-eu-central-1")


def test_bounded_name_keeps_short_names_and_hashes_long_ones() -> None:
    assert bounded_name(["A_b", "c"], 10) == "a-b-c"
    long = bounded_name(["x" * 80, "tail"], 30)
    assert len(long) <= 30 and long.endswith("-tail")
    assert partition("us-gov-west-1") == "aws-us-gov" and partition("cn-north-1") == "aws-cn"
    assert partition("eu-west-1") == "aws"


def test_tls_only_bucket_policy() -> None:
    policy = json.loads(tls_only_policy("arn:aws:s3:::b"))
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]


def test_lifecycle_expires_noncurrent_versions() -> None:
    (rule,) = lifecycle_rules(BucketSettings(noncurrent_version_days=45))
    assert rule["status"] == "Enabled" and rule["filter"] == {}
    assert rule["noncurrent_version_expiration"] == {"noncurrent_days": 45}
    assert rule["abort_incomplete_multipart_upload"] == {"days_after_initiation": 7}


def test_bucket_statements_are_scoped_to_one_bucket_and_its_key_use() -> None:
    arn, key = "arn:aws:s3:::one", "arn:aws:kms:us-west-2:123456789012:key/k"
    statements = read_write_statements(arn, key, "us-west-2")
    resources = {s["Sid"]: s["Resource"] for s in statements}
    assert resources == {"ListOwnBucket": arn, "ReadWriteOwnObjects": f"{arn}/*", "UseDataKeyForOwnBucket": key}
    kms = statements[2]
    assert kms["Condition"]["StringEquals"] == {"kms:ViaService": "s3.us-west-2.amazonaws.com"}
    assert kms["Condition"]["StringLike"] == {"kms:EncryptionContext:aws:s3:arn": [arn, f"{arn}/*"]}
    actions = [a for s in statements for a in s["Action"]]
    assert "*" not in "".join(actions) and "s3:DeleteObjectVersion" not in actions and "s3:PutBucketPolicy" not in actions


def test_zenml_secrets_store_statements() -> None:
    scoped, listing = secrets_store_statements("123456789012", "us-west-2")
    assert scoped["Resource"] == "arn:aws:secretsmanager:us-west-2:123456789012:secret:zenml/*"
    assert listing["Action"] == ["secretsmanager:ListSecrets"] and listing["Resource"] == "*"
    assert all("*" not in a for a in scoped["Action"])


def test_load_balancer_controller_policy_is_scoped() -> None:
    statements = controller_policy_statements("mlplatform-dev", "123456789012", "us-west-2", "vpc-0abc")
    for s in statements:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        assert all(a != "*" and not a.endswith(":*") for a in actions), s["Sid"]
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        for r in resources:
            assert r == "*" or ":123456789012:" in r, (s["Sid"], r)
    by_sid = {s["Sid"]: s for s in statements}
    # Changes to load balancers and security groups need this cluster's tag value, not any value.
    for sid in ("ManageOwnLoadBalancers", "ManageOwnSecurityGroup", "RetagOwnLoadBalancers"):
        assert by_sid[sid]["Condition"]["StringEquals"] == {"aws:ResourceTag/elbv2.k8s.aws/cluster": "mlplatform-dev"}
    assert by_sid["CreateOwnLoadBalancers"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": "mlplatform-dev"}}
    assert by_sid["SecurityGroupRulesInVpc"]["Condition"] == {
        "ArnEquals": {"ec2:Vpc": "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0abc"}}
    # Unconditioned "*" resources are read-only or integration actions of the upstream policy.
    for s in statements:
        if s["Resource"] == "*" and "Condition" not in s:
            assert s["Sid"] in ("Describe", "Integrations"), s["Sid"]


def test_rds_identifiers() -> None:
    assert rds_identifier("mlplatform-dev", "postgres") == "mlplatform-dev-postgres"
    long = rds_identifier("Cluster--" + "z" * 80, "mysql")
    assert RDS_RE.match(long) and long.endswith("-mysql")
    assert RDS_RE.match(rds_identifier("9lives", "postgres"))
    assert final_snapshot_identifier("mlplatform-prod-postgres") == "mlplatform-prod-postgres-final"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_instance_arguments_per_environment(stack: str) -> None:
    s = settings(stack)
    args = instance_args(engine_spec("postgres"), s.services.database, s.protect_stateful_resources)
    assert args["storage_encrypted"] is True and args["publicly_accessible"] is False
    assert args["engine_version"] == DATABASE_ENGINES["postgres"] and args["port"] == 5432
    expected = {"dev": ("db.t4g.micro", 1, False), "staging": ("db.t4g.small", 7, False),
                "prod": ("db.m7g.large", 30, True)}[stack]
    assert (args["instance_class"], args["backup_retention_period"], args["multi_az"]) == expected
    protected = stack != "dev"
    assert args["deletion_protection"] is protected and args["skip_final_snapshot"] is not protected
    assert args["performance_insights_enabled"] is (stack == "prod")


def test_engine_specs_force_tls() -> None:
    assert engine_spec("postgres").parameters == (("rds.force_ssl", "1"),)
    assert engine_spec("postgres").family == f"postgres{DATABASE_ENGINES['postgres']}"
    mysql = engine_spec("mysql")
    assert mysql.port == 3306 and mysql.family == f"mysql{DATABASE_ENGINES['mysql']}"
    # RDS for MySQL 8.4 parameter groups take 1 (ON), as the RDS User Guide documents.
    assert dict(mysql.parameters)["require_secure_transport"] == "1"


def test_database_overrides() -> None:
    db = settings("dev", services={"database": {"instanceClass": "db.r7g.large", "backupRetentionDays": 14}}).services.database
    assert (db.instance_class, db.backup_retention_days, db.multi_az) == ("db.r7g.large", 14, False)
