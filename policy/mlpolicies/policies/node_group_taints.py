"""node-group-taints: GPU, spot and system node groups carry the taints the scheduling model relies on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..framework import resource_policy
from ..scheduling import Tri, carries_taint
from ..settings import EKS_EFFECT, Settings, Taint
from ..values import UNKNOWN, Props, as_dict, as_list

NAME = "node-group-taints"
_K8S_EFFECT = {eks: k8s for k8s, eks in EKS_EFFECT.items()}


@dataclass(frozen=True)
class NodeGroup:
    """What the check needs from either node group API, taints normalized to Kubernetes effects."""

    instance_types: Any  # list[str] or UNKNOWN
    ami_type: Any
    gpu_flag: Any  # pulumi_eks `gpu` input (self-managed groups)
    spot: Tri
    labels: Any
    taints: Any  # [{key, value, effect}] or UNKNOWN
    eks_api: bool  # taints spelled as the EKS API wants them (managed groups)

    def taint_example(self, taint: Taint) -> str:
        if self.eks_api:
            return f"taints=[{taint.eks_taint()}]"
        return f'taints={{"{taint.key}": {{"value": "{taint.value}", "effect": "{taint.effect}"}}}}'


def _k8s_effect(effect: Any) -> Any:
    return _K8S_EFFECT.get(effect, effect) if isinstance(effect, str) else effect


def _managed(props: Props) -> NodeGroup:
    """eks:index:ManagedNodeGroup and aws:eks/nodeGroup:NodeGroup (EKS API spelling)."""
    taints = as_list(props.get("taints"))
    if taints is not UNKNOWN:
        taints = [t if not isinstance(t, dict) else {**t, "effect": _k8s_effect(t.get("effect"))} for t in taints]
    capacity = props.get("capacityType")
    return NodeGroup(as_list(props.get("instanceTypes")), props.get("amiType"), props.get("gpu"),
                     None if capacity is UNKNOWN else capacity == "SPOT", as_dict(props.get("labels")), taints, True)


def _self_managed(props: Props) -> NodeGroup:
    """eks:index:NodeGroup / NodeGroupV2: one instanceType, taints as {key: {value, effect}}."""
    taint_map = as_dict(props.get("taints"))
    taints = UNKNOWN if taint_map is UNKNOWN else [
        UNKNOWN if spec is UNKNOWN else {"key": key, **as_dict(spec)} for key, spec in taint_map.items()]
    instance_type = props.get("instanceType")
    spot_price = props.get("spotPrice")
    return NodeGroup(UNKNOWN if instance_type is UNKNOWN else [instance_type] if instance_type else [],
                     props.get("amiType"), props.get("gpu"), None if spot_price is UNKNOWN else bool(spot_price),
                     as_dict(props.get("labels")), taints, False)


def _family(instance_type: str) -> str:
    # "g5.xlarge" -> "g5"; "p6-b200.48xlarge" -> "p6"
    return instance_type.split(".", 1)[0].split("-", 1)[0]


def _gpu_reason(group: NodeGroup, settings: Settings) -> tuple[Tri, str]:
    """Whether the group has NVIDIA GPUs, and what says so (for the message)."""
    types = [] if group.instance_types is UNKNOWN else group.instance_types
    gpu_types = [t for t in types if isinstance(t, str) and _family(t) in settings.gpu_instance_families]
    if gpu_types:
        return True, f"GPU instance types {gpu_types}"
    ami = group.ami_type
    if isinstance(ami, str) and (ami.endswith("_NVIDIA") or ami == "AL2_x86_64_GPU"):
        return True, f"NVIDIA AMI {ami}"
    if group.gpu_flag is True:
        return True, "gpu: true"
    undecided = group.instance_types is UNKNOWN or UNKNOWN in types or UNKNOWN in (ami, group.gpu_flag)
    return (None if undecided else False), ""


def _check(group: NodeGroup, settings: Settings) -> Iterator[str]:
    is_gpu, reason = _gpu_reason(group, settings)
    if is_gpu is True and carries_taint(group.taints, settings.gpu_taint) is False:
        yield (f"is a GPU node group ({reason}) without the taint {settings.gpu_taint}, so any pod can fill its "
               f"GPU nodes. Add {group.taint_example(settings.gpu_taint)}.")
    if group.spot is True and carries_taint(group.taints, settings.spot_taint) is False:
        yield (f"uses spot capacity without the taint {settings.spot_taint}, so services can land on "
               f"interruptible nodes. Add {group.taint_example(settings.spot_taint)}.")
    labels = group.labels
    pool = UNKNOWN if labels is UNKNOWN else labels.get(settings.node_pool_label)
    if isinstance(pool, str) and pool in settings.system_node_pools \
            and carries_taint(group.taints, settings.system_taint) is False:
        yield (f"is the system pool ({settings.node_pool_label}={pool}) without the taint "
               f"{settings.system_taint}, so workloads can crowd out CoreDNS and the autoscaler. "
               f"Add {group.taint_example(settings.system_taint)}.")
    reported = {settings.gpu_taint, settings.spot_taint, settings.system_taint}
    for taint in settings.node_pool_taints.get(pool, ()) if isinstance(pool, str) else ():
        if taint not in reported and carries_taint(group.taints, taint) is False:
            yield (f"is the {pool} pool ({settings.node_pool_label}={pool}), whose pods tolerate {taint}, but its "
                   f"node group lacks that taint, so other work lands there. Add {group.taint_example(taint)}.")


def check_managed(props: Props, settings: Settings) -> Iterator[str]:
    return _check(_managed(props), settings)


def check_self_managed(props: Props, settings: Settings) -> Iterator[str]:
    return _check(_self_managed(props), settings)


POLICY = resource_policy(
    name=NAME,
    description="Node groups with NVIDIA GPUs carry the GPU taint (NoSchedule), spot node groups the spot taint, "
                "the system pool the CriticalAddonsOnly taint, and every pool the taints its config lists "
                "(nodePoolTaints).",
    remediation="""
The pod-side policies assume that special capacity is fenced off by taints. Give each node group
the taint of what it is (EKS managed node groups spell effects NO_SCHEDULE / NO_EXECUTE /
PREFER_NO_SCHEDULE):

  GPU instance types (g4dn, g5, g5g, g6, g6e, gr6, p3, p4d, p4de, p5, p5e, p5en, p6) or an *_NVIDIA AMI:
    taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
  capacityType SPOT:
    taints=[{"key": "spot", "value": "true", "effect": "NO_SCHEDULE"}]
  the system pool (label node-pool: system):
    taints=[{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]

Python (pulumi_eks):
  eks.ManagedNodeGroup("gpu", ..., instance_types=["g5.xlarge"], ami_type="AL2023_x86_64_NVIDIA",
                       taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}])

Self-managed groups (eks.NodeGroupV2) take taints={"nvidia.com/gpu": {"value": "true", "effect": "NoSchedule"}}.
""",
    checks={
        "eks:index:ManagedNodeGroup": check_managed,
        "aws:eks/nodeGroup:NodeGroup": check_managed,
        "eks:index:NodeGroup": check_self_managed,
        "eks:index:NodeGroupV2": check_self_managed,
    },
    options=("gpuTaintKey", "gpuTaintValue", "gpuTaintEffect", "spotTaintKey", "spotTaintValue", "spotTaintEffect",
             "systemTaintKey", "systemTaintValue", "systemTaintEffect", "nodePoolLabel", "systemNodePools",
             "gpuInstanceFamilies", "nodePoolTaints"),
    tags=("gpu", "spot", "scheduling", "eks"),
)
