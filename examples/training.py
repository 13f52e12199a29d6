"""A training Job on spot capacity, at training-low priority.

- Runs on the spot pool (`nodeSelector: {node-pool: spot}` + the spot toleration). With `gpus > 0` it
  runs on a SPOT GPU pool (`gpu-spot`, added in stack config) and tolerates both its taints.
- `priorityClassName: training-low` (preemptionPolicy Never): it queues for capacity and never evicts
  anybody; serving may preempt it.
- `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"` on the pod: Cluster Autoscaler never removes
  a node while the pod runs, however idle the node looks (a job between epochs, or using 1 of 4 GPUs).
  Only AWS can take a spot node back (two minutes' notice).
- Interruptions do not burn retries: a `podFailurePolicy` ignores failures of pods that were disrupted
  (spot reclaim, preemption, drain), and the trainer resumes from its last checkpoint in S3.
- `ttlSecondsAfterFinished` cleans up; `activeDeadlineSeconds` caps a runaway job.
"""

from __future__ import annotations

from typing import Any

from examples.conventions import (
    GPU_RESOURCE,
    GPU_SPOT_POOL,
    GPU_TOLERATION,
    RESEARCH_NAMESPACE,
    SAFE_TO_EVICT,
    SPOT_POOL,
    SPOT_TOLERATION,
    TRAINING_LOW,
    container_security_context,
    on_pool,
    pod_security_context,
)
from examples.manifests import Manifest

TRAINER_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/ml-research/resnet-trainer:1.8.0"


def job(name: str = "resnet-finetune", namespace: str = RESEARCH_NAMESPACE, *, image: str = TRAINER_IMAGE,
        gpus: int = 0, pool: str | None = None, checkpoints: str = "s3://ml-research-checkpoints/resnet-finetune",
        epochs: int = 30) -> Manifest:
    pool = pool or (GPU_SPOT_POOL if gpus else SPOT_POOL)
    tolerations = [SPOT_TOLERATION] + ([GPU_TOLERATION] if gpus else [])
    # Sized for one m6i.2xlarge (8 vCPU, 32 GiB) on the CPU spot pool, one g5.xlarge-class node with a GPU.
    cpu, memory = ("3", "12Gi") if gpus else ("6", "24Gi")
    limits: dict[str, str] = {"memory": memory}
    if gpus:
        limits[GPU_RESOURCE] = str(gpus)
    pod_labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "training"}
    return Manifest("Job", name, {
        "metadata": {"name": name, "namespace": namespace, "labels": pod_labels},
        "spec": {
            "backoffLimit": 3,
            "activeDeadlineSeconds": 24 * 3600,
            "ttlSecondsAfterFinished": 3 * 24 * 3600,
            "podFailurePolicy": {"rules": [
                # Spot interruption, preemption or drain: retry without counting it as a failure.
                {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
            ]},
            "template": {
                "metadata": {"labels": pod_labels, "annotations": {SAFE_TO_EVICT: "false"}},
                "spec": {
                    "restartPolicy": "Never",
                    "priorityClassName": TRAINING_LOW,
                    "nodeSelector": on_pool(pool),
                    "tolerations": tolerations,
                    "automountServiceAccountToken": False,
                    "securityContext": pod_security_context(),
                    "containers": [{
                        "name": "trainer",
                        "image": image,
                        "args": ["--epochs", str(epochs), "--checkpoint-dir", checkpoints, "--resume"],
                        "env": [{"name": "CHECKPOINT_EVERY_MINUTES", "value": "10"}],
                        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": limits},
                        "securityContext": container_security_context(),
                        "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"},
                                         {"name": "scratch", "mountPath": "/scratch"}],
                    }],
                    "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "4Gi"}},
                                {"name": "scratch", "emptyDir": {"sizeLimit": "50Gi"}}],
                },
            },
        },
    })


def manifests(name: str = "resnet-finetune", namespace: str = RESEARCH_NAMESPACE, **kwargs: Any) -> list[Manifest]:
    return [job(name, namespace, **kwargs)]

