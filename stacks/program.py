"""The program: settings in, platform built, outputs out. `__main__.py` and the offline plan share it."""

from __future__ import annotations

from typing import Any

import pulumi

from components.deploy_runner import describe
from domain.settings import PlatformSettings
from stacks.platform import build_platform


def build_outputs(settings: PlatformSettings) -> dict[str, Any]:
    platform = build_platform(settings)
    cluster, gpu, observability = platform.cluster, platform.gpu, platform.observability
    outputs: dict[str, Any] = {
        "clusterName": cluster.name,
        "clusterEndpoint": cluster.endpoint,
        "kubeconfig": pulumi.Output.secret(cluster.kubeconfig),
        "oidcProviderArn": cluster.eks.oidc_provider_arn,
        "vpcId": platform.network.vpc_id,
        "nodePools": platform.node_pools.names,
        "defaultStorageClass": platform.storage.storage_class_name,
        "priorityClasses": list(gpu.scheduling.classes),
        "gpuQuota": {"capacity": gpu.quota.capacity, "teamQuotas": gpu.quota.total_quota,
                     "oversubscribed": gpu.quota.oversubscribed},
        "teamNamespaces": list(gpu.teams),
        "grafanaUrl": observability.grafana_url,
        "prometheusUrl": observability.prometheus_url,
        # What team projects (examples/) need from the platform to serve models: see components/serving.
        "kedaOperatorRoleArn": platform.keda.role.arn if platform.keda else None,
        "oidcIssuer": cluster.oidc.issuer,
        "vpcCidr": platform.network.vpc_cidr,
    }
    if platform.runner is not None:
        outputs["ciRunner"] = describe(platform.runner)
    if platform.services is not None:
        outputs.update(platform.services.outputs)
        # The MLflow bucket's SSE-KMS key: model readers (components/serving) decrypt artifacts with it.
        data_key = getattr(platform.services, "data_key", None)
        if data_key is not None:
            outputs["servicesDataKeyArn"] = data_key.arn
    return outputs
