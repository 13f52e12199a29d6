"""spot-for-interruptible-only: only run-to-completion workloads may run on spot nodes."""

from __future__ import annotations

from collections.abc import Iterator

from ..framework import workload_policy
from ..scheduling import how_tolerated, pod_tolerates
from ..settings import Settings
from ..workloads import Workload

NAME = "spot-for-interruptible-only"


def check(workload: Workload, settings: Settings) -> Iterator[str]:
    ctx = workload.ctx
    if ctx.batch or not isinstance(ctx.namespace, str) or ctx.namespace in settings.exempt_namespaces:
        return
    taint = settings.spot_taint
    if pod_tolerates(workload.pod, taint) is True:
        how = how_tolerated(workload.pod.get("tolerations"), taint)
        yield (f"a {ctx.kind} is long-running, but it tolerates the spot node taint {taint} ({how}); spot "
               f"nodes are reclaimed at two minutes' notice. Remove that toleration, or run the work as a batch "
               f"workload (Job, CronJob, PyTorchJob, TFJob, RayJob, ...).")


POLICY = workload_policy(
    name=NAME,
    description="Only batch workloads (Job, CronJob, PyTorchJob, TFJob, RayJob, ...) tolerate the spot node "
                "taint; services stay on on-demand capacity.",
    remediation="""
Spot nodes can disappear at two minutes' notice. Work that retries (Jobs, CronJobs, Kubeflow
training jobs, RayJobs) may use them; serving workloads (Deployments, StatefulSets, KServe,
RayClusters, bare Pods) must not. Remove the spot toleration, for example

  - {key: spot, operator: Equal, value: "true", effect: NoSchedule}

and any catch-all {"operator": "Exists"} without a key, from the pod spec. To use spot capacity,
run the work as a batch/v1 Job instead. DaemonSets of node agents go in an exempt namespace
(config option exemptNamespaces).
""",
    check=check,
    options=("spotTaintKey", "spotTaintValue", "spotTaintEffect", "exemptNamespaces"),
    tags=("spot", "scheduling", "reliability"),
)
