"""Kubernetes Secrets built from Pulumi secrets: the one way generated credentials reach pods."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s


def opaque_secret(resource_name: str, name: str, namespace: str, data: Mapping[str, pulumi.Input[str]],
                  parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = ()) -> k8s.core.v1.Secret:
    """A Kubernetes Secret whose every value stays a Pulumi secret (masked in state and previews)."""
    return k8s.core.v1.Secret(
        resource_name,
        metadata={"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
        type="Opaque",
        string_data={k: pulumi.Output.secret(v) for k, v in data.items()},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)))


SECRETS_CHECKSUM_ANNOTATION = "checksum/secrets"


def secrets_checksum(values: Sequence[str]) -> str:
    """A short hash of the secret values a pod reads through its environment.

    As a pod annotation it rolls the pods when any of them is rotated (env is read at start only). The
    values are generated random strings of 32+ characters: 16 hex digits of their hash reveal nothing, so
    the annotation is kept unsecret and the chart values stay readable in previews.
    """
    return hashlib.sha256("\0".join(values).encode()).hexdigest()[:16]


def with_pod_annotations(values: dict[str, Any], annotations: dict[str, str]) -> dict[str, Any]:
    """Chart values with `podAnnotations` (a top-level map in every service chart) extended."""
    return {**values, "podAnnotations": {**values.get("podAnnotations", {}), **annotations}}


def env_secrets_checksum(values: Sequence[pulumi.Input[str]]) -> pulumi.Output[str]:
    """`secrets_checksum` of Pulumi secrets, itself unsecret (see there why that is safe)."""
    return pulumi.Output.unsecret(pulumi.Output.all(*values).apply(secrets_checksum))
