"""A namespace with the platform's baseline: Pod Security Standards labels and default-deny ingress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.kube import api_fields

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def pod_security_labels(level: str) -> dict[str, str]:
    """Enforce `level`, and warn/audit at `restricted` so teams see what would break next."""
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }


def default_deny_ingress_spec(allow_from_namespaces: Sequence[str]) -> dict[str, Any]:
    """Deny all ingress except from pods of the same namespace and of the listed namespaces."""
    sources: list[dict[str, Any]] = [{"podSelector": {}}]
    sources += [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: ns}}} for ns in allow_from_namespaces]
    return {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": sources}]}


class PlatformNamespace(pulumi.ComponentResource):
    """Namespace + PSS labels + default-deny ingress NetworkPolicy (VPC CNI network policy enforces it)."""

    def __init__(self, name: str, namespace: str, *, pss_level: str = "baseline",
                 allow_from_namespaces: Sequence[str] = (), labels: dict[str, str] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:k8s:PlatformNamespace", name, None, opts)
        self.name = namespace
        self.namespace = k8s.core.v1.Namespace(
            name, metadata={"name": namespace, "labels": {**pod_security_labels(pss_level), **(labels or {})}},
            opts=pulumi.ResourceOptions(parent=self))
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata={"name": "default-deny-ingress", "namespace": namespace},
            spec=api_fields(default_deny_ingress_spec(allow_from_namespaces)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]))
        self.register_outputs({"name": namespace})

    def allow_ingress(self, name: str, port: int, from_namespaces: Sequence[str] = (),
                      pod_selector: dict[str, str] | None = None) -> k8s.networking.v1.NetworkPolicy:
        """An explicit allow for a service port, e.g. an ingress controller or Prometheus scraping it."""
        sources = [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: ns}}} for ns in from_namespaces]
        return k8s.networking.v1.NetworkPolicy(
            f"{self._name}-allow-{name}",
            metadata={"name": f"allow-{name}", "namespace": self.name},
            spec=api_fields({"podSelector": {"matchLabels": pod_selector or {}}, "policyTypes": ["Ingress"],
                             "ingress": [{"from": sources, "ports": [{"port": port, "protocol": "TCP"}]}]}),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]))
