"""Kubernetes scheduling semantics shared by the policies.

Taint/toleration matching, GPU demand, node pool selection and label selectors, implemented once
with Kubernetes' rules. Every predicate is tri-state: True, False, or None when unknown values
(preview) make the answer undecidable. Policies report a violation only on a definite answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .settings import Settings, Taint
from .values import UNKNOWN, as_dict, as_list, dig
from .workloads import Workload

Tri = bool | None

CONTAINER_FIELDS = ("containers", "initContainers")


def all_of(results: Iterable[Tri]) -> Tri:
    """Three-valued AND."""
    verdict: Tri = True
    for result in results:
        if result is False:
            return False
        if result is None:
            verdict = None
    return verdict


def any_of(results: Iterable[Tri]) -> Tri:
    """Three-valued OR."""
    verdict: Tri = False
    for result in results:
        if result is True:
            return True
        if result is None:
            verdict = None
    return verdict


# --- containers -----------------------------------------------------------------------------------

def iter_containers(pod: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(field, container) for every known container and init container of a pod spec."""
    for field in CONTAINER_FIELDS:
        containers = as_list(pod.get(field)) if isinstance(pod, dict) else []
        if containers is UNKNOWN:
            continue
        for container in containers:
            if isinstance(container, dict):
                yield field, container


def containers_complete(pod: Any) -> bool:
    """False when a container list, or one of its entries, is unknown."""
    if not isinstance(pod, dict):
        return False
    for field in CONTAINER_FIELDS:
        containers = as_list(pod.get(field))
        if containers is UNKNOWN or any(c is UNKNOWN for c in containers):
            return False
    return True


def container_label(field: str, container: dict[str, Any]) -> str:
    name = container.get("name")
    name = name if isinstance(name, str) and name else "<unnamed>"
    return f'init container "{name}"' if field == "initContainers" else f'container "{name}"'


# --- GPU demand -----------------------------------------------------------------------------------

def container_gpu_resources(container: dict[str, Any], settings: Settings) -> tuple[frozenset[str], bool]:
    """GPU resource names in a container's requests or limits, and whether both maps were known.
    (Map keys are always known; only values can be unknown.)"""
    names: set[str] = set()
    complete = True
    resources = as_dict(container.get("resources"))
    if resources is UNKNOWN:
        return frozenset(), False
    for section in ("requests", "limits"):
        quantities = as_dict(resources.get(section))
        if quantities is UNKNOWN:
            complete = False
            continue
        names.update(name for name in quantities if settings.is_gpu_resource(name))
    return frozenset(names), complete


def gpu_resources(pod: Any, settings: Settings) -> Any:
    """GPU resources any container of the pod asks for: a frozenset, or UNKNOWN when none is
    visible but some container's resources are unknown."""
    names: set[str] = set()
    complete = containers_complete(pod)
    for _, container in iter_containers(pod):
        found, known = container_gpu_resources(container, settings)
        names.update(found)
        complete = complete and known
    if not names and not complete:
        return UNKNOWN
    return frozenset(names)


def workload_gpus(workload: Workload, settings: Settings) -> Any:
    """`gpu_resources` of a workload's pod, remembered on the workload: in the runner, where a
    resource's workloads are shared by every policy, each pod is inspected once."""
    key = ("gpus", settings.gpu_resources)
    memo = workload.memo
    if key not in memo:
        memo[key] = gpu_resources(workload.pod, settings)
    return memo[key]


def workload_uses_gpu(workload: Workload, settings: Settings) -> Tri:
    """Whether the workload's pods ask for a GPU (None: cannot tell during preview)."""
    names = workload_gpus(workload, settings)
    return None if names is UNKNOWN else bool(names)


# --- taints and tolerations -----------------------------------------------------------------------

def toleration_matches(toleration: Any, taint: Taint) -> Tri:
    """Whether one toleration tolerates `taint`, with the API server's rules: an empty effect
    matches every effect; an empty key with operator Exists matches every taint; Exists ignores
    the value; Equal (the default operator) compares it."""
    if not isinstance(toleration, dict):
        return None if toleration is UNKNOWN else False
    key = toleration.get("key") or ""
    operator = toleration.get("operator") or "Equal"
    value = toleration.get("value") or ""
    effect = toleration.get("effect") or ""

    checks: list[Tri] = []
    checks.append(None if effect is UNKNOWN else effect in ("", taint.effect))
    if operator is UNKNOWN:
        checks.append(None)
    elif operator == "Exists":
        checks.append(None if key is UNKNOWN else key in ("", taint.key))
    elif operator == "Equal":
        checks.append(None if key is UNKNOWN else key == taint.key)
        checks.append(None if value is UNKNOWN else value == taint.value)
    else:
        checks.append(False)  # the API server rejects any other operator
    return all_of(checks)


def tolerates(tolerations: Any, taint: Taint) -> Tri:
    """Whether a pod with `tolerations` (the pod spec field) may schedule onto nodes with `taint`."""
    tolerations = as_list(tolerations)
    if tolerations is UNKNOWN:
        return None
    return any_of(toleration_matches(t, taint) for t in tolerations)


def pod_tolerates(pod: dict[str, Any], taint: Taint) -> Tri:
    return tolerates(pod.get("tolerations"), taint)


def how_tolerated(tolerations: Any, taint: Taint) -> str:
    """Human description of the toleration(s) that tolerate `taint`, for violation messages."""
    tolerations = as_list(tolerations)
    matching = [] if tolerations is UNKNOWN else [t for t in tolerations if toleration_matches(t, taint) is True]
    if any(not t.get("key") for t in matching):
        return 'through {"operator": "Exists"} with no key, which tolerates every taint'
    return "through an explicit toleration"


def carries_taint(taints: Any, taint: Taint) -> Tri:
    """Whether a node taint list (normalized to {key, value, effect} with Kubernetes effects)
    contains `taint` exactly."""
    taints = as_list(taints)
    if taints is UNKNOWN:
        return None

    def same(node_taint: Any) -> Tri:
        if not isinstance(node_taint, dict):
            return None if node_taint is UNKNOWN else False
        fields = ((node_taint.get("key"), taint.key), (node_taint.get("value") or "", taint.value),
                  (node_taint.get("effect"), taint.effect))
        return all_of(None if actual is UNKNOWN else actual == wanted for actual, wanted in fields)

    return any_of(same(t) for t in taints)


# --- node selection -------------------------------------------------------------------------------

def selects_node_pool(pod: dict[str, Any], label: str, pools: Iterable[str]) -> Tri:
    """Whether the pod can only land on nodes whose `label` is one of `pools`, through
    nodeSelector or required node affinity (every nodeSelectorTerm, since terms are ORed)."""
    pools = frozenset(pools)
    selected = dig(pod, "nodeSelector", label)
    if selected is UNKNOWN:
        return None
    if isinstance(selected, str) and selected in pools:
        return True
    terms = as_list(dig(pod, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                        "nodeSelectorTerms"))
    if terms is UNKNOWN:
        return None
    if not terms:
        return False

    def pins(expression: Any) -> Tri:
        requirement = _requirement(expression)
        if requirement is None or requirement is UNKNOWN:
            return None if requirement is UNKNOWN else False
        key, operator, values = requirement
        if key != label or operator != "In" or not values:
            return False
        return all_of(None if v is UNKNOWN else isinstance(v, str) and v in pools for v in values)

    def term_selects(term: Any) -> Tri:
        expressions = as_list(dig(term, "matchExpressions"))
        if expressions is UNKNOWN:
            return None
        return any_of(pins(e) for e in expressions)

    return all_of(term_selects(t) for t in terms)


# --- label selectors ------------------------------------------------------------------------------

def _requirement(expression: Any) -> Any:
    """(key, operator, values) of a matchExpressions entry; UNKNOWN if any part is; None if malformed."""
    if not isinstance(expression, dict):
        return UNKNOWN if expression is UNKNOWN else None
    key, operator, values = expression.get("key"), expression.get("operator"), as_list(expression.get("values"))
    if UNKNOWN in (key, operator) or values is UNKNOWN:
        return UNKNOWN
    return key, operator, values


def selector_matches(selector: Any, labels: Any) -> Tri:
    """metav1.LabelSelector semantics: an absent selector selects nothing, an empty one everything."""
    if selector is None:
        return False
    if selector is UNKNOWN or labels is UNKNOWN:
        return None
    if not isinstance(selector, dict):
        return False
    match_labels = as_dict(selector.get("matchLabels"))
    expressions = as_list(selector.get("matchExpressions"))
    if match_labels is UNKNOWN or expressions is UNKNOWN:
        return None
    checks: list[Tri] = []
    for key, wanted in match_labels.items():
        actual = labels.get(key)
        checks.append(None if UNKNOWN in (wanted, actual) else actual == wanted)
    checks.extend(_expression_matches(e, labels) for e in expressions)
    return all_of(checks)


def _expression_matches(expression: Any, labels: dict[str, Any]) -> Tri:
    requirement = _requirement(expression)
    if requirement is None or requirement is UNKNOWN:
        return None if requirement is UNKNOWN else False
    key, operator, values = requirement
    actual = labels.get(key)
    if actual is UNKNOWN:
        return None
    if operator == "In":
        return key in labels and actual in values
    if operator == "NotIn":
        return key not in labels or actual not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False

