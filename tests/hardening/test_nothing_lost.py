"""Nothing lost: stateful resources survive a careless destroy or replacement in staging and prod.

Replacement of a protected resource fails (replacing deletes the old one), so `protect` guards both.
The second half lists, per stateful type, the properties whose change forces a replacement, and
checks that no setting a user tunes can move them.
"""

from __future__ import annotations

import pytest

from tests.conftest import evaluate_stack

STATEFUL_TYPES = (
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:kms/key:Key",
    "eks:index:Cluster",
)
# Properties that force replacement (from the provider schemas' forceNew flags / EKS API).
REPLACE_TRIGGERS = {
    "aws:rds/instance:Instance": ("identifier", "engine", "dbName", "storageEncrypted", "kmsKeyId", "username",
                                  "dbSubnetGroupName", "characterSetName", "availabilityZone"),
    "aws:rds/cluster:Cluster": ("clusterIdentifier", "engine", "databaseName", "storageEncrypted", "kmsKeyId",
                                "masterUsername", "dbSubnetGroupName"),
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix"),
    "aws:s3/bucketV2:BucketV2": ("bucket", "bucketPrefix"),
    "aws:kms/key:Key": ("customerMasterKeySpec", "keyUsage", "multiRegion"),
    "eks:index:Cluster": ("name", "encryptionConfigKeyArn", "vpcId", "kubernetesServiceIpAddressRange", "ipFamily"),
}
# Everyday changes: sizes, versions, retention, capacity. None may replace stateful resources.
TUNING = {
    "nodePools": [{"name": "cpu", "maxSize": 9}, {"name": "gpu", "maxSize": 7, "instanceTypes": ["g6.xlarge"]}],
    "cluster": {"logRetentionDays": 400},
    "protectStatefulResources": True,
}


def stateful(ev):
    return [r for r in ev.resources if r.type in STATEFUL_TYPES]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stateful_resources_are_protected(stack):
    ev = evaluate_stack(stack)
    resources = stateful(ev)
    assert {r.type for r in resources} >= {"aws:kms/key:Key", "eks:index:Cluster"}
    for r in resources:
        assert r.protect, f"{r.type} {r.name} is not protected"
        if r.type != "eks:index:Cluster":
            assert r.retain_on_delete, f"{r.type} {r.name} would be deleted with the stack"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_data_safety_flags(stack):
    ev = evaluate_stack(stack)
    for r in ev.of_type("aws:rds/instance:Instance"):
        i = r.inputs
        assert i["deletionProtection"] is True and i.get("skipFinalSnapshot") is False
        assert i["finalSnapshotIdentifier"] and i["storageEncrypted"] is True
        assert i["backupRetentionPeriod"] >= 7
    for r in ev.resources:
        if r.type in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
            assert not r.inputs.get("forceDestroy"), r.name
    for key in ev.of_type("aws:kms/key:Key"):
        assert key.inputs["deletionWindowInDays"] == 30
    for sc in ev.of_type("kubernetes:storage.k8s.io/v1:StorageClass"):
        assert sc.inputs["reclaimPolicy"] == "Retain"
    (cluster,) = ev.of_type("eks:index:Cluster")
    assert cluster.inputs["deletionProtection"] is True


def test_dev_is_disposable():
    ev = evaluate_stack("dev")
    assert not any(r.protect for r in stateful(ev))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_everyday_changes_never_touch_replace_triggers(stack):
    base, tuned = evaluate_stack(stack), evaluate_stack(stack, TUNING)

    def triggers(ev):
        return {(r.type, r.name): {p: r.inputs.get(p) for p in REPLACE_TRIGGERS[r.type]} for r in stateful(ev)}

    assert triggers(base) == triggers(tuned)
    assert triggers(base)  # something was compared


def test_replace_triggers_are_not_settings():
    """No config key can name an engine or a bucket: they are fixed in code per service."""
    from domain.settings import PlatformSettings

    def keys(model, prefix=""):
        for name, field in model.model_fields.items():
            yield prefix + (field.alias or name)
            ann = field.annotation
            if hasattr(ann, "model_fields"):
                yield from keys(ann, prefix + (field.alias or name) + ".")

    all_keys = {k.rsplit(".", 1)[-1] for k in keys(PlatformSettings)}
    assert not all_keys & {"engine", "bucket", "bucketName", "identifier", "dbName"}
