"""The program: settings in, platform built, outputs out. `__main__.py` and the offline plan share it."""

from __future__ import annotations

from typing import Any

import pulumi

from stacks.platform import build_platform
from stacks.settings import PlatformSettings


def build_outputs(settings: PlatformSettings) -> dict[str, Any]:
    platform = build_platform(settings)
    cluster = platform.cluster
    return {
        "clusterName": cluster.name,
        "clusterEndpoint": cluster.endpoint,
        "kubeconfig": pulumi.Output.secret(cluster.kubeconfig),
        "oidcProviderArn": cluster.eks.oidc_provider_arn,
        "vpcId": platform.network.vpc_id,
        "nodePools": platform.node_pools.names,
        "defaultStorageClass": platform.storage.storage_class_name,
    }
