"""Kubernetes Secrets built from Pulumi secrets: the one way generated credentials reach pods."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
