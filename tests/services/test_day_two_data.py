"""Day two for the data: backups with a locked vault and an off-region copy, KMS keys nobody is locked out
of, a restore that is a setting, and the scanner's findings (issue 15, sections 5 and 6)."""

from __future__ import annotations

import json

import pytest

from components.backup import BACKUP_ROLE_POLICIES
from components.storage.database import engine_spec, log_group_names
from domain.settings import SettingsError, load_settings
from tests.conftest import evaluate_stack

POSTGRES_PITR = {"services": {"database": {"restores": [
    {"instance": "postgres", "pointInTime": "2026-11-30T08:15:00Z"}]}}}


def problems(stack: str, region: str | None = None, **config) -> str:
    with pytest.raises(SettingsError) as err:
        load_settings(stack, config, region=region)
    return str(err.value)


def by_type(ev, typ: str):
    return ev.of_type(typ)


# 5. Backups ----------------------------------------------------------------------------------------------

def test_dev_has_no_backup_plan():
    assert by_type(evaluate_stack("dev"), "aws:backup/plan:Plan") == []


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_backups_cover_every_database_and_service_bucket(stack):
    ev = evaluate_stack(stack)
    (selection,) = by_type(ev, "aws:backup/selection:Selection")
    databases = [r.outputs["arn"] for r in by_type(ev, "aws:rds/instance:Instance")]
    buckets = [r.outputs["arn"] for r in by_type(ev, "aws:s3/bucket:Bucket") if "access-logs" not in r.inputs["bucket"]]
    assert len(databases) == 2 and len(buckets) == 3  # PostgreSQL, MySQL; MLflow, ZenML, lakeFS
    assert sorted(selection.inputs["resources"]) == sorted(databases + buckets)
    (plan,) = by_type(ev, "aws:backup/plan:Plan")
    (rule,) = plan.inputs["rules"]
    assert rule["lifecycle"]["deleteAfter"] == ev.settings.backup.retention_days
    attached = sorted(a.inputs["policyArn"] for a in by_type(ev, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                      if a.name.startswith("backup-"))
    assert attached == sorted(f"arn:aws:iam::aws:policy/{p}" for p in BACKUP_ROLE_POLICIES)
    for vault in by_type(ev, "aws:backup/vault:Vault"):
        assert vault.protect and vault.retain_on_delete and vault.inputs["forceDestroy"] is False
        assert vault.inputs["kmsKeyArn"]


def test_staging_locks_its_vault_in_governance_mode_without_a_copy():
    ev = evaluate_stack("staging")
    (lock,) = by_type(ev, "aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert "changeableForDays" not in lock.inputs and lock.inputs["minRetentionDays"] == 7
    (plan,) = by_type(ev, "aws:backup/plan:Plan")
    assert "copyActions" not in plan.inputs["rules"][0]


def test_prod_copies_every_backup_to_a_locked_vault_in_another_region():
    ev = evaluate_stack("prod")
    vaults = {v.name: v for v in by_type(ev, "aws:backup/vault:Vault")}
    copy = vaults["backup-copy-vault"]
    assert copy.inputs["region"] == "us-east-1" and "region" not in vaults["backup-vault"].inputs
    (plan,) = by_type(ev, "aws:backup/plan:Plan")
    (action,) = plan.inputs["rules"][0]["copyActions"]
    assert action["destinationVaultArn"] == copy.outputs["arn"]
    assert action["lifecycle"]["deleteAfter"] == 35
    locks = by_type(ev, "aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert len(locks) == 2 and all(lock.inputs["changeableForDays"] == 7 for lock in locks)  # compliance mode


def test_prod_without_an_off_region_copy_is_a_settings_error():
    assert load_settings("prod", {}).backup.copy_to.region == "us-east-1"  # the default for us-west-2
    message = problems("prod", region="me-south-1")
    assert "mlplatform:backup.copyTo: prod keeps a copy" in message and "me-south-1 has no default" in message
    assert "mlplatform:backup.copyTo.region: us-west-2 is the stack's own region" in problems(
        "prod", backup={"copyTo": {"region": "us-west-2"}})
    assert "exactly one of region" in problems(
        "prod", backup={"copyTo": {"region": "us-east-1",
                                   "vaultArn": "arn:aws:backup:us-east-1:210987654321:backup-vault:central"}})
    assert "mlplatform:backup.retentionDays: 3 days is outside the vault lock's [7, 365]" in problems(
        "staging", backup={"retentionDays": 3})
    assert "mlplatform:backup.enabled" in problems("prod", backup={"enabled": False})


def test_a_copy_to_another_accounts_vault_creates_no_copy_vault():
    arn = "arn:aws:backup:us-east-1:210987654321:backup-vault:central"
    ev = evaluate_stack("prod", {"backup": {"copyTo": {"vaultArn": arn}}})
    assert [v.name for v in by_type(ev, "aws:backup/vault:Vault")] == ["backup-vault"]
    (plan,) = by_type(ev, "aws:backup/plan:Plan")
    assert plan.inputs["rules"][0]["copyActions"][0]["destinationVaultArn"] == arn


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_no_key_policy_locks_the_account_out(stack):
    """Every key keeps the account root as administrator: IAM (service roles, the backup role) decides use."""
    ev = evaluate_stack(stack)
    keys = by_type(ev, "aws:kms/key:Key")
    assert len(keys) >= 2
    for key in keys:
        statements = json.loads(key.inputs["policy"])["Statement"]
        assert {"Sid": "AccountAdministration", "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
                "Resource": "*"} in statements
        assert not any(s["Effect"] == "Deny" for s in statements)
        assert key.inputs["enableKeyRotation"] is True


# 5. Restore ----------------------------------------------------------------------------------------------

def test_a_point_in_time_restore_is_a_new_instance_and_the_original_stays():
    before, after = evaluate_stack("prod"), evaluate_stack("prod", POSTGRES_PITR)
    old = {r.name: r for r in by_type(before, "aws:rds/instance:Instance")}
    new = {r.name: r for r in by_type(after, "aws:rds/instance:Instance")}
    assert sorted(new) == sorted([*old, "services-postgres-r1-db"])
    # The original: unchanged inputs, still protected and kept on delete.
    original = new["services-postgres-db"]
    assert original.inputs == old["services-postgres-db"].inputs
    assert original.protect and original.retain_on_delete and original.inputs["deletionProtection"] is True
    restored = new["services-postgres-r1-db"]
    assert restored.inputs["identifier"] == "mlplatform-prod-postgres-r1"
    assert restored.inputs["restoreToPointInTime"] == {"sourceDbInstanceIdentifier": "mlplatform-prod-postgres",
                                                      "restoreTime": "2026-11-30T08:15:00Z"}
    assert "username" not in restored.inputs and restored.inputs["password"]
    assert restored.protect and restored.inputs["kmsKeyId"] == original.inputs["kmsKeyId"]


def test_after_a_restore_the_services_use_the_new_endpoint():
    ev = evaluate_stack("prod", POSTGRES_PITR)
    old_host = "mlplatform-prod-postgres.abcdefghijkl.us-west-2.rds.amazonaws.com"
    new_host = "mlplatform-prod-postgres-r1.abcdefghijkl.us-west-2.rds.amazonaws.com"
    assert ev.outputs["serviceDatabases"]["postgres"] == new_host
    users = [r.name for r in ev.resources if r.is_resource and new_host in json.dumps(r.inputs, default=str)]
    assert len(users) >= 4  # Keycloak, MLflow and lakeFS (and Grafana) connect to it, and their bootstrap Jobs
    assert not [r.name for r in ev.resources if old_host in json.dumps(r.inputs, default=str)]
    # Both instances stay in the backup plan until the original is retired.
    (selection,) = by_type(ev, "aws:backup/selection:Selection")
    assert len([a for a in selection.inputs["resources"] if ":rds:" in a]) == 3


def test_a_snapshot_restore_names_its_snapshot():
    ev = evaluate_stack("staging", {"services": {"database": {"restores": [
        {"instance": "mysql", "snapshot": "rds:mlplatform-staging-mysql-2026-11-29-05-00", "generation": 2}]}}})
    (restored,) = [r for r in by_type(ev, "aws:rds/instance:Instance") if r.name == "services-mysql-r2-db"]
    assert restored.inputs["snapshotIdentifier"] == "rds:mlplatform-staging-mysql-2026-11-29-05-00"
    assert "restoreToPointInTime" not in restored.inputs


def test_bad_restores_are_settings_errors():
    assert "mlplatform:services.database.restores[0].instance: 'keycloak' is not a database instance" in problems(
        "prod", services={"database": {"restores": [{"instance": "keycloak", "pointInTime": "latest"}]}})
    assert "exactly one of snapshot and pointInTime" in problems(
        "prod", services={"database": {"restores": [{"instance": "postgres"}]}})
    assert "is not a UTC time" in problems(
        "prod", services={"database": {"restores": [{"instance": "postgres", "pointInTime": "yesterday"}]}})


# 6. Scanner findings -------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rds_exports_its_logs_into_log_groups_with_retention(stack):
    ev = evaluate_stack(stack)
    groups = {g.inputs["name"]: g for g in by_type(ev, "aws:cloudwatch/logGroup:LogGroup")}
    for db in by_type(ev, "aws:rds/instance:Instance"):
        spec = engine_spec(db.inputs["engine"])
        expected = ["postgresql", "upgrade"] if spec.engine == "postgres" else ["error", "slowquery"]
        assert db.inputs["enabledCloudwatchLogsExports"] == expected
        for name in log_group_names(db.inputs["identifier"], spec):
            assert groups[name].inputs["retentionInDays"] == ev.settings.cluster.log_retention_days
            assert groups[name].urn in db.dependencies  # created first, so RDS does not make its own


def test_mysql_requires_tls_with_the_value_rds_documents():
    assert dict(engine_spec("mysql").parameters)["require_secure_transport"] == "1"
    assert dict(engine_spec("mysql").parameters)["log_output"] == "FILE"  # the slow query log reaches CloudWatch


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_service_bucket_logs_its_access(stack):
    ev = evaluate_stack(stack)
    buckets = {b.inputs["bucket"] for b in by_type(ev, "aws:s3/bucket:Bucket")}
    (log_bucket,) = [b for b in buckets if "access-logs" in b]
    logging = by_type(ev, "aws:s3/bucketLogging:BucketLogging")
    assert sorted(x.inputs["bucket"] for x in logging) == sorted(buckets - {log_bucket})
    assert all(x.inputs["targetBucket"] == log_bucket and x.inputs["targetPrefix"] == x.inputs["bucket"] + "/"
               for x in logging)
    (policy,) = [p for p in by_type(ev, "aws:s3/bucketPolicy:BucketPolicy") if p.name == "services-access-logs"]
    delivery = json.loads(policy.inputs["policy"])["Statement"][-1]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_prod_keeps_flow_logs_a_year():
    assert evaluate_stack("prod").of_type("aws:cloudwatch/logGroup:LogGroup")
    flow = [g for g in evaluate_stack("prod").of_type("aws:cloudwatch/logGroup:LogGroup")
            if g.inputs["name"].endswith("/flow-logs")]
    assert [g.inputs["retentionInDays"] for g in flow] == [365]
    assert load_settings("staging", {}).network.flow_logs_retention_days == 90
    assert load_settings("dev", {}).network.flow_logs_retention_days == 30
    assert "mlplatform:network.flowLogsRetentionDays: prod keeps VPC flow logs for at least a year" in problems(
        "prod", network={"flowLogsRetentionDays": 30})
    assert "mlplatform:network.flowLogs: prod records VPC flow logs" in problems("prod", network={"flowLogs": False})


def test_the_original_is_retired_in_two_ups_and_the_restored_instance_never_changes():
    """keep -> unprotect (deletable, final snapshot kept) -> delete: no `pulumi state` command, no replacement."""
    def restore(original: str) -> dict:
        return {"services": {"database": {"restores": [
            {"instance": "postgres", "pointInTime": "2026-11-30T08:15:00Z", "original": original}]}}}

    plans = {step: evaluate_stack("prod", restore(step)) for step in ("keep", "unprotect", "delete")}
    instances = {step: {r.name: r for r in by_type(ev, "aws:rds/instance:Instance")} for step, ev in plans.items()}
    restored = [i["services-postgres-r1-db"] for i in instances.values()]
    assert all(r.inputs == restored[0].inputs and r.protect for r in restored)
    unprotected = instances["unprotect"]["services-postgres-db"]
    assert not unprotected.protect and not unprotected.retain_on_delete
    assert unprotected.inputs["deletionProtection"] is False and unprotected.inputs["skipFinalSnapshot"] is False
    assert unprotected.inputs["finalSnapshotIdentifier"] == "mlplatform-prod-postgres-final"
    assert unprotected.inputs["deleteAutomatedBackups"] is False
    assert "services-postgres-db" not in instances["delete"]
    assert instances["delete"]["services-mysql-db"].protect  # other instances are untouched
