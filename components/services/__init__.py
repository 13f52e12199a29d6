"""MLOps services: every service of the catalog (domain/services.py) as a pinned Helm release on RDS and S3.

`make_oidc_clients` (no dependency on the Keycloak release) gives consumers such as Grafana their
`OidcClient`; `PlatformServices` builds everything else in one call.
"""

from .keycloak import make_oidc_clients
from .platform_services import PlatformServices, port_forward_command

__all__ = ["PlatformServices", "make_oidc_clients", "port_forward_command"]
