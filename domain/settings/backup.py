"""AWS Backup settings: a daily backup of the services' databases and buckets into a locked vault, with a
copy in a second region (or a vault of another account). On by default in staging and prod; prod must
keep a copy outside its own region.

    mlplatform:backup:
      copyTo: {region: us-east-1}            # or {vaultArn: arn:aws:backup:<region>:<account>:backup-vault:<name>}
      retentionDays: 35
      vaultLock: {mode: compliance, changeableForDays: 3}
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Settings, check_pattern

_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_VAULT_ARN = re.compile(r"^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[A-Za-z0-9_.-]{2,50}$")
# An AWS Backup schedule: a cron expression in UTC.
_CRON = re.compile(r"^cron\([^)]+\)$")
# Where prod copies its backups when copyTo is not set: another region of the same geography.
DEFAULT_COPY_REGIONS = {
    "us-east-1": "us-west-2", "us-east-2": "us-west-2", "us-west-1": "us-east-1", "us-west-2": "us-east-1",
    "eu-west-1": "eu-central-1", "eu-west-2": "eu-west-1", "eu-west-3": "eu-central-1", "eu-central-1": "eu-west-1",
    "eu-north-1": "eu-central-1", "ap-southeast-1": "ap-southeast-2", "ap-southeast-2": "ap-southeast-1",
    "ap-northeast-1": "ap-northeast-3", "ap-northeast-3": "ap-northeast-1", "ca-central-1": "us-east-1",
}


class BackupCopySettings(Settings):
    """Where each backup is copied: a vault this program creates in another region of the account, or an
    existing vault (another account's) given by ARN."""

    region: str = Field(default="", description="Region of the copy vault the program creates (same account).")
    vault_arn: str = Field(
        default="",
        description="ARN of an existing vault to copy to, e.g. in a backup account of the organization (its "
                    "vault access policy must allow this account's copies).")

    @field_validator("region")
    @classmethod
    def _valid_region(cls, value: str) -> str:
        return check_pattern(value, _REGION, "an AWS region", "use a region such as us-east-1.")

    @field_validator("vault_arn")
    @classmethod
    def _valid_arn(cls, value: str) -> str:
        if value and not _VAULT_ARN.match(value):
            raise ValueError(f"'{value}' is not a backup vault ARN. Fix: use "
                             "arn:aws:backup:<region>:<account-id>:backup-vault:<name>.")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> BackupCopySettings:
        if bool(self.region) == bool(self.vault_arn):
            raise ValueError("set exactly one of region (a vault this program creates there) and vaultArn (an "
                             "existing vault). Fix: keep one of them.")
        return self


class VaultLockSettings(Settings):
    """AWS Backup Vault Lock: recovery points cannot be deleted before minRetentionDays, by anyone."""

    mode: Literal["governance", "compliance"] = Field(
        default="governance",
        description="governance: users with the right IAM permission can still remove the lock; compliance: once "
                    "changeableForDays has passed, nobody (not even the root user) can remove it or shorten retention.")
    min_retention_days: int = Field(default=7, ge=1, le=36500,
                                    description="Recovery points younger than this cannot be deleted.")
    max_retention_days: int = Field(default=365, ge=1, le=36500,
                                    description="No recovery point may be kept longer than this.")
    changeable_for_days: int = Field(
        default=3, ge=3, le=36500,
        description="Compliance mode only: days during which the lock can still be changed or removed (at least 3).")

    @model_validator(mode="after")
    def _range(self) -> VaultLockSettings:
        if self.min_retention_days > self.max_retention_days:
            raise ValueError("minRetentionDays is above maxRetentionDays. Fix: raise maxRetentionDays.")
        return self


class BackupSettings(Settings):
    enabled: bool = Field(
        default=False, description="Back up the services' databases and buckets with AWS Backup. Default: off in "
                                   "dev, on in staging and prod (prod requires it).")
    schedule: str = Field(
        default="cron(0 5 ? * * *)",
        description="When the daily backup starts (UTC cron); after the RDS backup window (03:00-04:00).")
    retention_days: int = Field(
        default=7, ge=1, le=36500,
        description="Days each recovery point (and its copy) is kept. Default: 7 dev, 14 staging, 35 prod.")
    copy_to: BackupCopySettings | None = Field(
        default=None, description="Copy every recovery point to another region or account. Required in prod, where "
                                  "it defaults to a region of the same geography (us-west-2 -> us-east-1, see "
                                  "DEFAULT_COPY_REGIONS in domain/settings/backup.py).")
    vault_lock: VaultLockSettings = Field(default_factory=VaultLockSettings,
                                          description="The vault lock of the backup vault (and of the copy vault).")

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        if not _CRON.match(value):
            raise ValueError(f"'{value}' is not an AWS Backup schedule. Fix: use a cron expression such as "
                             "cron(0 5 ? * * *) (daily at 05:00 UTC).")
        return value

    def problems(self, project: str, environment: str, region: str) -> list[str]:
        key = f"{project}:backup"
        problems: list[str] = []
        if environment == "prod":
            if not self.enabled:
                problems.append(f"{key}.enabled: prod backs up its databases and buckets with AWS Backup. "
                                "Fix: remove the override (it defaults to true).")
            if self.copy_to is None:
                problems.append(
                    f"{key}.copyTo: prod keeps a copy of every backup outside its region, so that losing the "
                    f"region or the account's vault does not lose the data, and {region} has no default copy region. "
                    "Fix: set backup.copyTo.region (a second region of this account) or backup.copyTo.vaultArn "
                    "(a vault in a backup account).")
        if self.copy_to is not None and self.copy_to.region == region:
            problems.append(f"{key}.copyTo.region: {region} is the stack's own region, so the copy shares its fate. "
                            "Fix: choose another region.")
        if self.enabled:
            lock, days = self.vault_lock, self.retention_days
            if not lock.min_retention_days <= days <= lock.max_retention_days:
                problems.append(
                    f"{key}.retentionDays: {days} days is outside the vault lock's [{lock.min_retention_days}, "
                    f"{lock.max_retention_days}], so every backup job would fail. Fix: set retentionDays in that "
                    "range, or change backup.vaultLock.")
        return problems
