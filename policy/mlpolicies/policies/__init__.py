"""One module per policy, named after it (`gpu-limits-required` lives in `gpu_limits_required.py`).

`ORDER` is the pack's policy list, in the order the README documents them; adding a policy is its
module, its name here, its README row, and its test file.
"""

from __future__ import annotations

from importlib import import_module

from pulumi_policy import Policy

ORDER = (
    "gpu-limits-required", "gpu-toleration-required", "gpu-node-selector-advised", "no-gpu-toleration-without-gpu",
    "spot-for-interruptible-only", "training-does-not-preempt", "gpu-inference-has-pdb", "gpu-namespace-has-quota",
    "gpu-autoscaling-within-quota", "gpu-workloads-readable",
    "node-group-taints", "gpu-helm-release-tolerations",
    "container-resource-requests", "no-latest-images", "cluster-secrets-encryption", "api-endpoint-not-public",
    "node-groups-require-imdsv2",
)


def module_name(policy_name: str) -> str:
    return policy_name.replace("-", "_")


def _load(name: str) -> Policy:
    policy: Policy = import_module(f"{__name__}.{module_name(name)}").POLICY
    if policy.name != name:
        raise ValueError(f"policies/{module_name(name)}.py defines {policy.name!r}; a module is named after its policy")
    return policy


ALL: list[Policy] = [_load(name) for name in ORDER]
BY_NAME: dict[str, Policy] = {policy.name: policy for policy in ALL}
