"""gpu-workloads-readable: the gate has no back door. A GPU workload the pack cannot read is a violation.

Every pod policy sees what `workloads()` finds. A resource of a kind nobody declared, whose pods the
generic walker cannot find either, or a Helm release of a chart whose values the pack cannot map to
pods, would pass them all untouched. This policy fails such a resource closed when it mentions a GPU
(a GPU resource name, or a positive count under a key that names a GPU) outside every pod spec the
pack read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from ..framework import ResourceCheck, resource_policy
from ..helm import RELEASE_TYPE, effective_values, release_chart
from ..settings import Settings
from ..values import UNKNOWN, Props, dig, positive_int
from ..workloads import CUSTOM_RESOURCE_TYPE, is_declared, kind_of, may_have_workloads, workloads

NAME = "gpu-workloads-readable"
FIX = ("GPU workload the gate cannot read: add its kind or chart to the pack, or exempt it in the stack's policy "
       "config with a reason")
_SKIPPED_ROOT_KEYS = frozenset({"apiVersion", "kind", "metadata", "status"})
_MAX_DEPTH = 32


def gpu_mention(value: Any, settings: Settings, skip: frozenset[int] = frozenset()) -> str | None:
    """The path of the first GPU mention in `value` outside the objects in `skip` (by identity), if any."""

    def visit(node: Any, path: tuple[str, ...]) -> str | None:
        if id(node) in skip or len(path) > _MAX_DEPTH:
            return None
        if isinstance(node, dict):
            for key, item in node.items():
                if not path and key in _SKIPPED_ROOT_KEYS:
                    continue
                where = (*path, str(key))
                if settings.is_gpu_resource(key) or (
                        isinstance(key, str) and "gpu" in key.lower() and isinstance(positive_int(item), int)):
                    return ".".join(where)
                found = visit(item, where)
                if found:
                    return found
        elif isinstance(node, list):
            for index, item in enumerate(node):
                found = visit(item, (*path[:-1], f"{path[-1] if path else ''}[{index}]"))
                if found:
                    return found
        elif settings.is_gpu_resource(node):
            return ".".join(path) or "<root>"
        return None

    return visit(value, ())


def _exempt(settings: Settings, *, kind: tuple[str, str] | None = None, chart: str | None = None,
            name: Any = None, namespace: Any = None) -> bool:
    for exemption in settings.exemptions:
        wanted_kind, wanted_chart = exemption.get("kind"), exemption.get("chart")
        if wanted_kind is not None and (kind is None or wanted_kind not in (kind[1], f"{kind[0]}/{kind[1]}")):
            continue
        if wanted_chart is not None and wanted_chart != chart:
            continue
        if wanted_kind is None and wanted_chart is None:
            continue  # an exemption names what it exempts
        if exemption.get("name") not in (None, name) or exemption.get("namespace") not in (None, namespace):
            continue
        return True
    return False


def _custom_resource_check(resource_type: str) -> ResourceCheck:
    def check(props: Props, settings: Settings) -> Iterator[str]:
        group_kind = kind_of(resource_type, props)
        if group_kind is None or is_declared(group_kind):
            return
        read = frozenset(id(w.pod) for w in workloads(resource_type, props))
        where = gpu_mention(props, settings, read)
        name, namespace = dig(props, "metadata", "name"), dig(props, "metadata", "namespace")
        if where and not _exempt(settings, kind=group_kind, name=name, namespace=namespace):
            found = "pod specs the pack found elsewhere in it" if read else "no pod spec the pack can find"
            yield (f"{FIX}. This {group_kind[1]} ({group_kind[0]}) asks for GPUs at {where}, outside {found}, so "
                   f"no GPU policy checks its pods. Declare the kind in policy/mlpolicies/workloads.py (KINDS), or "
                   f'add {{"kind": "{group_kind[0]}/{group_kind[1]}", "name": "{name if isinstance(name, str) else "<name>"}", '
                   f'"reason": "..."}} to exemptions.')
    return check


def check_release(props: Props, settings: Settings) -> Iterator[str]:
    chart = release_chart(props)
    if chart is None or chart in settings.known_charts:
        return
    values, _ = effective_values(props)
    if values is UNKNOWN:
        return
    where = gpu_mention(values, settings)
    name = props.get("name")
    if where and not _exempt(settings, chart=chart, name=name, namespace=props.get("namespace")):
        yield (f"{FIX}. Helm chart {chart} asks for GPUs at values.{where}, but the pack does not know where this "
               f"chart puts tolerations and GPU requests. List it in chartTolerationPaths and chartGpuRequestPaths "
               f'(and gpuCharts if it runs on every GPU node), or add {{"chart": "{chart}", "reason": "..."}} to '
               f"exemptions.")


_CHECKS: dict[str, ResourceCheck | None] = {RELEASE_TYPE: check_release}


def _dispatch(resource_type: str) -> ResourceCheck | None:
    if resource_type not in _CHECKS:
        group_kind = None if resource_type == CUSTOM_RESOURCE_TYPE else kind_of(resource_type)
        undeclared = resource_type == CUSTOM_RESOURCE_TYPE or (may_have_workloads(resource_type)
                                                              and not is_declared(group_kind))
        _CHECKS[resource_type] = _custom_resource_check(resource_type) if undeclared else None
    return _CHECKS[resource_type]


POLICY = resource_policy(
    name=NAME,
    description="Resources that ask for GPUs are readable by the pack: a custom resource of an undeclared kind, or "
                "a Helm release of an unknown chart, that mentions a GPU outside every pod spec the pack can read "
                "fails closed.",
    remediation="""
The GPU policies can only check pods they can find. This resource asks for GPUs where no pod spec
the pack knows of is, so it would otherwise pass the gate unchecked. Either

  * teach the pack: declare the kind in policy/mlpolicies/workloads.py (KINDS: where its pod
    templates are, or how its flat fields map to a pod), or, for a Helm chart, list where its values
    put tolerations and GPU counts in the config options chartTolerationPaths and
    chartGpuRequestPaths (generated for the platform's own charts by python -m stacks.policy_config);
  * or exempt it in the stack's policy config, with a reason a reviewer accepted:

    "gpu-workloads-readable": {"exemptions": [
        {"kind": "example.com/ModelServer", "name": "llm", "namespace": "team-a",
         "reason": "vendor operator adds the GPU toleration itself; see TICKET-123"}]}

    (or {"chart": "<chart name>", "reason": "..."} for a Helm release).

Exemptions are listed in the offline plan's policy section.
""",
    checks=_dispatch,
    options=("gpuResources", "gpuCharts", "chartTolerationPaths", "chartGpuRequestPaths", "exemptions"),
    severity=Severity.HIGH,
    tags=("gpu", "scheduling", "fail-closed"),
)
