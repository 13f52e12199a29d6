"""One way to install a pinned chart, shared by every component that ships a Helm release."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from domain.versions import ChartPin

# Generous: charts that pull large images (gpu-operator, Keycloak) take minutes on fresh nodes.
RELEASE_TIMEOUT_SECONDS = 900


def release_args(pin: ChartPin, release_name: str, namespace: str, values: pulumi.Input[dict[str, Any]]) -> dict[str, Any]:
    """Arguments of helm.v3.Release for a pinned chart (OCI or classic repository)."""
    args: dict[str, Any] = {
        "name": release_name,
        "chart": pin.chart_ref,
        "version": pin.version,
        "namespace": namespace,
        "values": values,
        "atomic": True,  # a failed upgrade rolls back instead of leaving a half-applied release
        "cleanup_on_fail": True,
        "timeout": RELEASE_TIMEOUT_SECONDS,
        "max_history": 10,
    }
    if not pin.is_oci:
        args["repository_opts"] = k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository)
    return args


def chart_release(resource_name: str, pin: ChartPin, namespace: str, values: pulumi.Input[dict[str, Any]],
                  opts: pulumi.ResourceOptions, release_name: str | None = None) -> k8s.helm.v3.Release:
    return k8s.helm.v3.Release(resource_name, **release_args(pin, release_name or pin.chart, namespace, values), opts=opts)
