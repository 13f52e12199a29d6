"""One module per policy; `ALL` is the pack's policy list, in the order the README documents them."""

from __future__ import annotations

from pulumi_policy import Policy

from . import (
    api_endpoint,
    cluster_encryption,
    gpu_limits,
    gpu_node_selector,
    gpu_quota,
    gpu_toleration,
    gpu_toleration_misuse,
    helm_gpu_tolerations,
    image_tags,
    imdsv2,
    inference_pdb,
    node_group_taints,
    resource_requests,
    spot,
    training_priority,
)

_MODULES = (
    gpu_limits, gpu_toleration, gpu_node_selector, gpu_toleration_misuse, spot,
    training_priority, inference_pdb, gpu_quota,
    node_group_taints, helm_gpu_tolerations,
    resource_requests, image_tags, cluster_encryption, api_endpoint, imdsv2,
)

ALL: list[Policy] = [module.POLICY for module in _MODULES]
BY_NAME: dict[str, Policy] = {policy.name: policy for policy in ALL}

assert len(BY_NAME) == len(ALL), "policy names must be unique"
