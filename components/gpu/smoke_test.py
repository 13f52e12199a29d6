"""GPU smoke test: a Job that runs `nvidia-smi` on a GPU node once the gpu-operator is installed.

The pending pod makes Cluster Autoscaler scale the GPU pool up from zero and the operator's device plugin
advertises the GPU: a broken driver, toolkit, device plugin or autoscaler setup shows in the Job's status
instead of in the first user's job. The Job never gates a deploy (`pulumi.com/skipAwait`): a new account
often has no G/VT vCPU quota, and `pulumi up` must not wait 30 minutes for a node that cannot be had. Check
it after the deploy (README, "GPU smoke test"):

    kubectl -n gpu-smoke-test wait --for=condition=complete job -l app.kubernetes.io/name=gpu-smoke-test --timeout=30m

The pod template carries the operator chart version, so an operator upgrade replaces the Job and runs the
test again. The Job runs in its own namespace (restricted Pod Security, a one-GPU quota) at `training-low`
priority, so it never preempts anything, and removes itself `ttlSecondsAfterFinished` later (a later
`pulumi refresh` then drops it from the state, and the next `pulumi up` runs it again).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.gpu.operator import GPU_RESOURCE
from components.gpu.scheduling import TRAINING_LOW
from components.namespace import PlatformNamespace
from domain.settings.gpu_layer import GpuLayerSettings
from domain.settings.node_pools import NodePoolSettings
from domain.versions import CHARTS, IMAGES

SMOKE_TEST_NAMESPACE = "gpu-smoke-test"
SMOKE_TEST_APP = "gpu-smoke-test"
# Scale-up from zero, node boot and driver/device-plugin start take minutes.
ACTIVE_DEADLINE_SECONDS = 1800
TTL_SECONDS_AFTER_FINISHED = 3600
SKIP_AWAIT = "pulumi.com/skipAwait"


def smoke_test_pool(settings: GpuLayerSettings) -> NodePoolSettings:
    """The GPU pool to test: the first on-demand GPU pool, else the first GPU pool."""
    pools = settings.gpu_pools
    return next((p for p in pools if p.capacity_type == "ON_DEMAND"), pools[0])


def smoke_test_job_spec(pool: NodePoolSettings, namespace: str = SMOKE_TEST_NAMESPACE) -> dict[str, Any]:
    """metadata and spec of the Job (no name: Pulumi auto-names it, so a replacement can start first)."""
    labels = {"app.kubernetes.io/name": SMOKE_TEST_APP, "app.kubernetes.io/part-of": "mlplatform"}
    return {
        # Created, never awaited: GPU capacity must not gate a deploy (stacks/review/first_deploy.py checks it).
        "metadata": {"namespace": namespace, "labels": labels, "annotations": {SKIP_AWAIT: "true"}},
        "spec": {
            "backoffLimit": 2,
            "activeDeadlineSeconds": ACTIVE_DEADLINE_SECONDS,
            "ttlSecondsAfterFinished": TTL_SECONDS_AFTER_FINISHED,
            "template": {
                "metadata": {"labels": {**labels, "mlplatform.io/gpu-operator-version": CHARTS["gpu-operator"].version}},
                "spec": {
                    "restartPolicy": "Never",
                    "priorityClassName": TRAINING_LOW,
                    "nodeSelector": pool.node_selector,
                    "tolerations": pool.tolerations,
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "nvidia-smi",
                        "image": IMAGES["cuda-smoke-test"],
                        "command": ["nvidia-smi"],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                      "limits": {"memory": "128Mi", GPU_RESOURCE: "1"}},
                        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}},
                    }],
                },
            },
        },
    }


class GpuSmokeTest(pulumi.ComponentResource):
    """Namespace, one-GPU quota and the nvidia-smi Job. `depends_on`: the gpu-operator release and the
    PriorityClasses. Exposes `namespace`, `quota` and `job`."""

    def __init__(self, name: str, settings: GpuLayerSettings, *, depends_on: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:gpu:GpuSmokeTest", name, None, opts)
        self.namespace = PlatformNamespace(f"{name}-ns", SMOKE_TEST_NAMESPACE, pss_level="restricted",
                                           opts=pulumi.ResourceOptions(parent=self))
        self.quota = k8s.core.v1.ResourceQuota(
            f"{name}-quota", metadata={"name": "gpu-quota", "namespace": SMOKE_TEST_NAMESPACE},
            spec={"hard": {f"requests.{GPU_RESOURCE}": "1"}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace.namespace]))
        self.job = k8s.batch.v1.Job(
            name, **smoke_test_job_spec(smoke_test_pool(settings)),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.namespace.namespace, self.quota, *depends_on]))
        self.register_outputs({"namespace": SMOKE_TEST_NAMESPACE})
