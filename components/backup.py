"""AWS Backup of the services' data: a daily plan over the RDS instances and S3 buckets, into a locked
vault, with every recovery point copied to a second region (a vault created here) or to an existing
vault of another account.

- The vaults have their own KMS keys; like every key of the platform, their policy keeps the account
  root as administrator (kms_key_policy), so IAM decides who uses them and nobody is locked out.
- Backup runs as its own role with the AWS managed policies for backup and restore, of RDS (and the
  other services) and of S3 (AWSBackupServiceRolePolicyForBackup/ForRestores under service-role/,
  AWSBackupServiceRolePolicyForS3Backup/ForS3Restore at the root of the aws policy namespace).
- The vault lock (governance or compliance) keeps recovery points from being deleted before their
  minimum retention; the plan's retention must sit inside the lock's range (settings check it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.cluster import kms_key_policy
from components.iam import AWS_MANAGED, service_trust_policy
from domain.settings.backup import BackupSettings, VaultLockSettings

BACKUP_ROLE_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)
START_WINDOW_MINUTES = 60
COMPLETION_WINDOW_MINUTES = 8 * 60


def vault_lock_args(lock: VaultLockSettings) -> dict[str, Any]:
    """Governance mode without changeable_for_days; compliance mode (immutable after the grace days) with it."""
    args: dict[str, Any] = {"min_retention_days": lock.min_retention_days, "max_retention_days": lock.max_retention_days}
    if lock.mode == "compliance":
        args["changeable_for_days"] = lock.changeable_for_days
    return args


def plan_rule(settings: BackupSettings, vault_name: pulumi.Input[str],
              copy_vault_arn: pulumi.Input[str] | None) -> aws.backup.PlanRuleArgsDict:
    """The daily rule: retention in the vault and in the copy."""
    days = settings.retention_days
    rule: aws.backup.PlanRuleArgsDict = {
        "rule_name": "daily",
        "target_vault_name": vault_name,
        "schedule": settings.schedule,
        "start_window": START_WINDOW_MINUTES,
        "completion_window": COMPLETION_WINDOW_MINUTES,
        "lifecycle": {"delete_after": days},
        "recovery_point_tags": {"backup-plan": "daily"},
    }
    if copy_vault_arn is not None:
        rule["copy_actions"] = [{"destination_vault_arn": copy_vault_arn, "lifecycle": {"delete_after": days}}]
    return rule


class LockedVault(pulumi.ComponentResource):
    """A backup vault with its own rotating KMS key and a vault lock, in `region` (None: the stack's)."""

    arn: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(self, name: str, *, vault_name: str, account_id: pulumi.Input[str], lock: VaultLockSettings,
                 region: str | None, protect: bool, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:backup:LockedVault", name, None, opts)
        keep = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        key = aws.kms.Key(name, description=f"AWS Backup vault {vault_name}", enable_key_rotation=True,
                          deletion_window_in_days=30, region=region,
                          policy=pulumi.Output.from_input(account_id).apply(kms_key_policy), opts=keep)
        vault = aws.backup.Vault(name, name=vault_name, kms_key_arn=key.arn, force_destroy=False, region=region,
                                 opts=keep)
        aws.backup.VaultLockConfiguration(name, backup_vault_name=vault.name, region=region, **vault_lock_args(lock),
                                          opts=pulumi.ResourceOptions(parent=self))
        self.arn, self.name = vault.arn, vault.name
        self.register_outputs({"arn": self.arn})


class PlatformBackup(pulumi.ComponentResource):
    """The backup plan of a stack over `resources` (ARNs of RDS instances and S3 buckets)."""

    def __init__(self, name: str, settings: BackupSettings, *, vault_name: str,
                 account_id: pulumi.Input[str], resources: Sequence[pulumi.Input[str]], protect: bool,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:backup:PlatformBackup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vault = LockedVault(f"{name}-vault", vault_name=vault_name, account_id=account_id,
                                 lock=settings.vault_lock, region=None, protect=protect, opts=child)
        target = settings.copy_to
        copy_arn: pulumi.Input[str] | None = None
        if target is not None and target.region:
            self.copy_vault: LockedVault | None = LockedVault(
                f"{name}-copy-vault", vault_name=vault_name, account_id=account_id, lock=settings.vault_lock,
                region=target.region, protect=protect, opts=child)
            copy_arn = self.copy_vault.arn
        else:
            self.copy_vault = None
            copy_arn = target.vault_arn if target is not None else None
        role = aws.iam.Role(f"{name}-role", assume_role_policy=service_trust_policy("backup.amazonaws.com"),
                            description=f"AWS Backup of {vault_name}", opts=child)
        attachments = [aws.iam.RolePolicyAttachment(f"{name}-{policy.rsplit('/', 1)[-1]}", role=role.name,
                                                    policy_arn=AWS_MANAGED + policy, opts=child)
                       for policy in BACKUP_ROLE_POLICIES]
        self.plan = aws.backup.Plan(f"{name}-plan", name=vault_name,
                                    rules=[plan_rule(settings, self.vault.name, copy_arn)], opts=child)
        self.selection = aws.backup.Selection(
            f"{name}-selection", name="databases-and-buckets", plan_id=self.plan.id, iam_role_arn=role.arn,
            resources=list(resources), opts=pulumi.ResourceOptions(parent=self, depends_on=attachments))
        self.register_outputs({"vault": self.vault.arn})
