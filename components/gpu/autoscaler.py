"""Cluster Autoscaler for every node pool, GPU pools included, scaling them to and from zero.

Discovery. EKS managed node groups tag their Auto Scaling groups with
`k8s.io/cluster-autoscaler/enabled=true` and `k8s.io/cluster-autoscaler/<cluster>=owned`; the autoscaler
finds them by those tags (`autoDiscovery.clusterName`), and its IAM role may only change groups that carry
`k8s.io/cluster-autoscaler/<cluster>: owned`, i.e. this cluster's node groups.

Scale from zero. A group at zero has no node to copy, so the autoscaler builds a template node from the
EKS managed node group API: `eks:DescribeNodegroup` returns the group's labels (`node-pool`, ...) and taints
(`nvidia.com/gpu=true:NoSchedule`, `spot=true:NoSchedule`), and the instance type (`ec2:DescribeInstanceTypes`
and the autoscaler's own table) gives CPU, memory and the GPU count. A pending pod that asks for
`nvidia.com/gpu` and tolerates the GPU taint therefore scales the GPU pool up from zero with no
`k8s.io/cluster-autoscaler/node-template/*` tags. GPU pools should also carry the node label
`k8s.amazonaws.com/accelerator` (the autoscaler's AWS GPU label): with it, a new GPU node whose device plugin
has not advertised its GPUs yet counts as "coming up" instead of triggering a second scale-up.

Expander: `priority`, then `least-waste` among equals. Pods that fit several pools (tolerating more
than one taint) go to the cheapest kind first: spot CPU, on-demand CPU, spot GPU, on-demand GPU. The
priority ConfigMap matches node groups by name; EKS names a managed group's ASG
`eks-<node group name>-<uuid>` and our node groups are named `<cluster>-<pool>-<timestamp><counter>` (a name
prefix completed by the provider with an 18-digit timestamp), hence the pattern `<cluster>-<pool>-[0-9]{14,}`:
the run of digits keeps pool `gpu` from matching the groups of pools `gpu-large` or `gpu-2`. `least-waste` alone
would happily pick a GPU node for a CPU pod that tolerates both, since it only compares leftover capacity.

Scale-down never interrupts a running job:
- the autoscaler only removes a node whose pods can all be evicted and rescheduled elsewhere; it never
  removes a node that runs a pod annotated `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"`
  (training Jobs carry it, see examples/training.py), a pod protected by a PodDisruptionBudget with no
  disruptions left, a bare pod without a controller, or a kube-system pod without a PDB;
- `skip-nodes-with-local-storage: false`: an emptyDir (PyTorch's /dev/shm, scratch space) would otherwise pin
  every GPU node forever; protection is the explicit annotation instead;
- GPU nodes are measured by GPU requests only (`scale-down-gpu-utilization-threshold`), so a 1-GPU node
  with a GPU pod is 100% used, and `scale-down-unneeded-time` / `scale-down-delay-after-add` keep a node
  that was just added (slow to boot, expensive to re-create) for at least 10 minutes;
- `max-graceful-termination-sec` gives evictable GPU pods (inference) time to drain;
- `expendable-pods-priority-cutoff: -10`: pods below -10 never trigger a scale-up; every platform
  PriorityClass is far above it, so only deliberate placeholder pods are expendable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import yaml

from components.availability import zone_spread
from components.helm import chart_release
from components.iam import OidcIdentity, ServiceAccountRole, policy_document
from domain.settings.gpu import autoscaler_image
from domain.settings.gpu_layer import GpuLayerSettings
from domain.settings.node_pools import NodePoolSettings, node_group_name_prefix
from domain.versions import CHARTS, split_image

AUTOSCALER_NAMESPACE = "kube-system"
AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"
AUTOSCALER_RELEASE = "cluster-autoscaler"
ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"
SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"

READ_ACTIONS = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
WRITE_ACTIONS = ("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup")

# Labels EKS puts on every node that differ between otherwise identical node groups.
BALANCING_IGNORED_LABELS = (
    "eks.amazonaws.com/nodegroup",
    "eks.amazonaws.com/nodegroup-image",
    "eks.amazonaws.com/sourceLaunchTemplateId",
    "eks.amazonaws.com/sourceLaunchTemplateVersion",
)

# Expander priorities (higher wins). Cheap capacity first; the catch-all keeps unmatched groups usable.
PRIORITY_SPOT_CPU = 50
PRIORITY_ON_DEMAND_CPU = 40
PRIORITY_SPOT_GPU = 20
PRIORITY_ON_DEMAND_GPU = 10
PRIORITY_FALLBACK = 1


def autoscaler_policy_statements(cluster_name: str, region: str, account_id: str,
                                 partition: str = "aws") -> list[dict[str, Any]]:
    """Least privilege: write only to this cluster's node groups, read what scale-from-zero needs."""
    return [
        {"Sid": "ReadAutoScalingAndInstanceTypes", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"},
        {"Sid": "ScaleThisClustersNodeGroups", "Effect": "Allow", "Action": list(WRITE_ACTIONS), "Resource": "*",
         "Condition": {"StringEquals": {
             f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
             "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
         }}},
        {"Sid": "DescribeThisClustersNodeGroups", "Effect": "Allow", "Action": ["eks:DescribeNodegroup"],
         "Resource": f"arn:{partition}:eks:{region}:{account_id}:nodegroup/{cluster_name}/*/*"},
    ]


def autoscaler_policy(cluster_name: str, region: str, account_id: str, partition: str = "aws") -> str:
    return policy_document(autoscaler_policy_statements(cluster_name, region, account_id, partition))


def node_group_pattern(cluster_name: str, pool: NodePoolSettings) -> str:
    """Regex matching the ASGs of a pool's managed node groups (`eks-<cluster>-<pool>[-azN]-<timestamp>...-<uuid>`;
    perAz pools have a group per AZ)."""
    # Cluster and pool names are letters, digits and '-' (validated), none of them special outside [].
    prefix = node_group_name_prefix(cluster_name, pool.name, "(-az[0-9]+)?" if pool.per_az else "")
    return f"{prefix}[0-9]{{14,}}"


def pool_priority(pool: NodePoolSettings) -> int:
    spot = pool.capacity_type == "SPOT"
    if pool.is_gpu:
        return PRIORITY_SPOT_GPU if spot else PRIORITY_ON_DEMAND_GPU
    return PRIORITY_SPOT_CPU if spot else PRIORITY_ON_DEMAND_CPU


def expander_priorities(settings: GpuLayerSettings) -> dict[int, list[str]]:
    """Priority -> node group name patterns, for the priority expander's ConfigMap."""
    priorities: dict[int, list[str]] = {}
    for pool in settings.pools:
        priorities.setdefault(pool_priority(pool), []).append(node_group_pattern(settings.cluster_name, pool))
    priorities[PRIORITY_FALLBACK] = [".*"]
    return dict(sorted(priorities.items(), reverse=True))


def expander_priorities_yaml(settings: GpuLayerSettings) -> str:
    """The ConfigMap's `priorities` document. A string, so that the priorities stay integer keys (the
    chart passes a string through unchanged; a map would arrive with string keys from JSON)."""
    return yaml.safe_dump(expander_priorities(settings), default_flow_style=False)


def autoscaler_args(settings: GpuLayerSettings) -> dict[str, str]:
    """extraArgs of the chart (rendered as --key=value; strings, so that Helm prints them verbatim)."""
    a = settings.gpu.autoscaler
    args = {
        "expander": "priority,least-waste" if a.expander == "priority" else "least-waste",
        "balance-similar-node-groups": "true",
        "skip-nodes-with-local-storage": "false",
        "skip-nodes-with-system-pods": "true",
        "scale-down-unneeded-time": a.scale_down_unneeded_time,
        "scale-down-delay-after-add": a.scale_down_delay_after_add,
        "scale-down-utilization-threshold": str(a.scale_down_utilization_threshold),
        "scale-down-gpu-utilization-threshold": str(a.scale_down_gpu_utilization_threshold),
        "max-graceful-termination-sec": str(a.max_graceful_termination_sec),
        "max-node-provision-time": a.max_node_provision_time,
        "expendable-pods-priority-cutoff": "-10",
        "cordon-node-before-terminating": "true",
    }
    # The chart drops everything after the first '_' of a key, so one flag can be given several times.
    args.update({f"balancing-ignore-label_{i}": label for i, label in enumerate(BALANCING_IGNORED_LABELS, 1)})
    return args


def autoscaler_values(settings: GpuLayerSettings, role_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Helm values of the cluster-autoscaler chart (every key exists in the pinned chart's values.yaml)."""
    replicas = settings.gpu.autoscaler.replicas
    image = autoscaler_image(settings.kubernetes_version)
    if image is None:  # settings validation rejects this first
        raise ValueError(f"no Cluster Autoscaler pin for Kubernetes {settings.kubernetes_version}")
    repository, tag = split_image(image)
    system = settings.system_pool
    values: dict[str, Any] = {
        "cloudProvider": "aws",
        "awsRegion": settings.region,
        "autoDiscovery": {"clusterName": settings.cluster_name},
        "fullnameOverride": AUTOSCALER_RELEASE,
        "image": {"repository": repository, "tag": tag},
        "replicaCount": replicas,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "nodeSelector": system.node_selector,
        "tolerations": system.tolerations,
        "rbac": {"serviceAccount": {"create": True, "name": AUTOSCALER_SERVICE_ACCOUNT,
                                    "annotations": {"eks.amazonaws.com/role-arn": role_arn}}},
        "extraArgs": autoscaler_args(settings),
        "resources": {"requests": {"cpu": "100m", "memory": "600Mi"}, "limits": {"memory": "600Mi"}},
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containerSecurityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                     "capabilities": {"drop": ["ALL"]}},
        # The ServiceMonitor is a separate resource (below), so the autoscaler never waits for monitoring.
        "serviceMonitor": {"enabled": False},
    }
    if settings.gpu.autoscaler.expander == "priority":
        values["expanderPriorities"] = expander_priorities_yaml(settings)
    if replicas > 1:
        values["topologySpreadConstraints"] = zone_spread({"app.kubernetes.io/instance": AUTOSCALER_RELEASE})
    return values


def autoscaler_service_monitor() -> dict[str, Any]:
    """ServiceMonitor for the chart's Service (`<release>` named by fullnameOverride, port `http`)."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": AUTOSCALER_RELEASE, "namespace": AUTOSCALER_NAMESPACE},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/instance": AUTOSCALER_RELEASE}},
            "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
        },
    }


def pools_without_accelerator_label(settings: GpuLayerSettings) -> list[str]:
    return [p.name for p in settings.gpu_pools if ACCELERATOR_LABEL not in p.labels]


class ClusterAutoscaler(pulumi.ComponentResource):
    """Cluster Autoscaler in kube-system on the system pool, with its own IRSA role.

    `monitoring`: the release that installs the ServiceMonitor CRD; when given, a ServiceMonitor is
    created after it. The autoscaler itself waits for nothing but its role: scaling must not wait for
    the monitoring stack. Exposes `role` (ServiceAccountRole), `release`, `values`, `service_monitor`.
    """

    def __init__(self, name: str, settings: GpuLayerSettings, oidc: OidcIdentity, *,
                 monitoring: Sequence[pulumi.Resource] = (), opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:gpu:ClusterAutoscaler", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        caller = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        cluster, region = settings.cluster_name, settings.region
        policy = pulumi.Output.all(caller.account_id, partition.partition).apply(
            lambda a: autoscaler_policy(cluster, region, a[0], a[1]))
        self.role = ServiceAccountRole(f"{name}-irsa", oidc, AUTOSCALER_NAMESPACE, AUTOSCALER_SERVICE_ACCOUNT,
                                       policy=policy, opts=pulumi.ResourceOptions(parent=self))
        missing = pools_without_accelerator_label(settings)
        if missing:
            pulumi.log.warn(
                f"GPU pools {missing} have no {ACCELERATOR_LABEL} label: while a new GPU node's device plugin starts, "
                f"Cluster Autoscaler may add another node for the same pod. Add labels: {{{ACCELERATOR_LABEL}: nvidia}} "
                "to those pools.", resource=self)
        self.values = autoscaler_values(settings, self.role.arn)
        self.release = chart_release(name, CHARTS["cluster-autoscaler"], AUTOSCALER_NAMESPACE, self.values,
                                     opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role]),
                                     release_name=AUTOSCALER_RELEASE)
        self.service_monitor = None
        if monitoring:
            monitor = autoscaler_service_monitor()
            self.service_monitor = k8s.apiextensions.CustomResource(
                f"{name}-metrics", api_version=monitor["apiVersion"], kind=monitor["kind"],
                metadata=monitor["metadata"], spec=monitor["spec"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.release, *monitoring]))
        self.register_outputs({"role_arn": self.role.arn, "release": self.release.name})
