"""A manifest is a kind, a Pulumi resource name and a body (metadata + spec); `deploy` creates them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

KINDS: dict[str, Any] = {
    "Deployment": k8s.apps.v1.Deployment,
    "Job": k8s.batch.v1.Job,
    "Service": k8s.core.v1.Service,
    "ServiceAccount": k8s.core.v1.ServiceAccount,
    "PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
    "HorizontalPodAutoscaler": k8s.autoscaling.v2.HorizontalPodAutoscaler,
}


@dataclass
class Manifest:
    kind: str
    name: str  # Pulumi resource name (unique per kind within a program)
    body: dict[str, Any] = field(default_factory=dict)  # metadata, spec (camelCase, as in YAML)

    @property
    def pod_spec(self) -> dict[str, Any]:
        """The pod template's spec (Deployment, Job)."""
        return self.body["spec"]["template"]["spec"]

    @property
    def container(self) -> dict[str, Any]:
        """The first container of the pod template."""
        return self.pod_spec["containers"][0]


def deploy(manifests: Iterable[Manifest], opts: pulumi.ResourceOptions | None = None) -> dict[str, pulumi.Resource]:
    """Create the manifests with pulumi_kubernetes; returns `<kind>/<name>` -> resource."""
    return {f"{m.kind}/{m.name}": KINDS[m.kind](m.name, **m.body, opts=opts) for m in manifests}
