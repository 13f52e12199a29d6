"""The shared scheduling semantics, three-valued: True, False, or None when unknowns make it undecidable."""

import pytest
from harness import UNKNOWN

from policy.mlpolicies.scheduling import selector_matches, selects_node_pool, tolerates, toleration_matches
from policy.mlpolicies.settings import Taint
from policy.mlpolicies.values import positive_int

GPU = Taint("nvidia.com/gpu", "true", "NoSchedule")


@pytest.mark.parametrize("toleration,expected", [
    ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}, True),
    ({"key": "nvidia.com/gpu", "operator": "Exists"}, True),
    ({"operator": "Exists"}, True),
    ({"key": "nvidia.com/gpu", "value": "true"}, True),
    ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "false"}, False),
    ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}, False),
    ({"key": "", "operator": "Equal", "value": "true"}, False),
    ({"key": "other", "operator": "Exists"}, False),
    ("not a mapping", False),
    (UNKNOWN, None),
    ({"key": UNKNOWN, "operator": "Exists"}, None),
    ({"key": "nvidia.com/gpu", "operator": UNKNOWN}, None),
    ({"key": "nvidia.com/gpu", "operator": "Equal", "value": UNKNOWN}, None),
    ({"key": "other", "operator": "Equal", "value": UNKNOWN}, False),  # decidable despite the unknown
    ({"operator": "Exists", "effect": UNKNOWN}, None),
])
def test_toleration_matches(toleration, expected):
    assert toleration_matches(toleration, GPU) is expected


def test_tolerates_combines_three_valued():
    assert tolerates(None, GPU) is False
    assert tolerates(UNKNOWN, GPU) is None
    assert tolerates([UNKNOWN, {"key": "nvidia.com/gpu", "operator": "Exists"}], GPU) is True
    assert tolerates([UNKNOWN, {"key": "spot", "operator": "Exists"}], GPU) is None


@pytest.mark.parametrize("selector,labels,expected", [
    (None, {"app": "a"}, False),
    ({}, {"app": "a"}, True),
    ({"matchLabels": {"app": "a"}}, {"app": "a", "x": "y"}, True),
    ({"matchLabels": {"app": "a", "x": "z"}}, {"app": "a", "x": "y"}, False),
    ({"matchExpressions": [{"key": "x", "operator": "Exists"}]}, {"x": "1"}, True),
    ({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, {"x": "1"}, False),
    ({"matchExpressions": [{"key": "x", "operator": "NotIn", "values": ["2"]}]}, {"x": "1"}, True),
    ({"matchExpressions": [{"key": "x", "operator": "In", "values": ["2"]}]}, {"x": "1"}, False),
    ({"matchExpressions": [{"key": "x", "operator": "Bogus"}]}, {"x": "1"}, False),
    (UNKNOWN, {"app": "a"}, None),
    ({"matchLabels": {"app": "a"}}, UNKNOWN, None),
    ({"matchLabels": {"app": UNKNOWN}}, {"app": "a"}, None),
    ({"matchLabels": {"app": UNKNOWN, "x": "z"}}, {"app": "a", "x": "y"}, False),
])
def test_selector_matches(selector, labels, expected):
    assert selector_matches(selector, labels) is expected


def required(*terms):
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}


@pytest.mark.parametrize("pod,expected", [
    ({"nodeSelector": {"node-pool": "gpu"}}, True),
    ({"nodeSelector": {"node-pool": "cpu"}}, False),
    ({}, False),
    ({"nodeSelector": UNKNOWN}, None),
    ({"nodeSelector": {"node-pool": UNKNOWN}}, None),
    ({"affinity": required({"matchExpressions": [{"key": "node-pool", "operator": "In", "values": ["gpu"]}]})}, True),
    ({"affinity": required({"matchExpressions": [{"key": "node-pool", "operator": "NotIn", "values": ["cpu"]}]})}, False),
    ({"affinity": required({"matchExpressions": [{"key": "node-pool", "operator": "In", "values": [UNKNOWN]}]})}, None),
    ({"affinity": UNKNOWN}, None),
    ({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}}, False),
])
def test_selects_node_pool(pod, expected):
    assert selects_node_pool(pod, "node-pool", ["gpu"]) is expected


@pytest.mark.parametrize("value,expected", [
    (1, 1), ("2", 2), (3.0, 3), (" 4 ", 4), (0, None), ("0", None), (-1, None), ("-1", None), (0.5, None),
    ("0.5", None), ("1e3", None), ("abc", None), ("", None), (None, None), (True, None), (UNKNOWN, UNKNOWN),
])
def test_positive_int(value, expected):
    result = positive_int(value)
    assert (result is UNKNOWN) if expected is UNKNOWN else (result == expected)
