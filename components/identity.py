"""OIDC clients that Keycloak serves and other services (Grafana, MLflow, ...) consume.

Secrets are generated once in the composition and handed to both sides, so neither side waits on
the other's Helm release.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass
class OidcClient:
    client_id: str
    secret: pulumi.Output[str]  # a Pulumi secret from pulumi_random
    redirect_uris: list[str]
    issuer_url: str  # browser-facing realm URL, e.g. https://id.example.com/auth/realms/platform
    internal_issuer_url: str  # in-cluster realm URL for token and userinfo calls
