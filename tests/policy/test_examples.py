"""Example workloads pass the whole pack; each broken twin fails with exactly the expected policies."""

import copy

import pytest
from harness import UNKNOWN, load_stack_config, run_pack
from workload_examples import (
    BROKEN_TWINS,
    all_examples,
    cpu_service_example,
    gpu_inference_example,
    platform_example,
    training_job_example,
)

EXAMPLES = {
    "gpu inference": gpu_inference_example,
    "gpu training on spot": training_job_example,
    "cpu training on spot": lambda: training_job_example(gpus=0),
    "cpu service": cpu_service_example,
    "platform": platform_example,
    "everything together": all_examples,
}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
@pytest.mark.parametrize("example", EXAMPLES)
def test_examples_pass(example, stack):
    assert [str(v) for v in run_pack(EXAMPLES[example](), load_stack_config(stack))] == []


@pytest.mark.parametrize("twin", BROKEN_TWINS)
def test_broken_twins_fail(twin):
    build, expected = BROKEN_TWINS[twin]
    found = run_pack(build(), load_stack_config("prod"))
    assert {v.policy_name for v in found} == expected, [str(v) for v in found]
    blocking = {v.policy_name for v in found if v.blocking}
    assert blocking == expected - {"gpu-node-selector-advised"}


def _paths(value, path=()):
    """Every node below the resource's props, as key paths."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key)
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*path, index)
            yield from _paths(child, (*path, index))


def _set(props, path, value):
    for step in path[:-1]:
        props = props[step]
    props[path[-1]] = value


def test_any_unknown_value_in_a_compliant_stack_reports_nothing():
    """Preview: any single field (leaf or subtree) of any resource unknown -> no violation, no crash."""
    baseline = all_examples()
    config = load_stack_config("prod")
    checked = 0
    for index, resource in enumerate(baseline):
        for path in _paths(resource["props"]):
            mutated = list(baseline)
            mutated[index] = copy.deepcopy(resource)
            _set(mutated[index]["props"], path, UNKNOWN)
            found = run_pack(mutated, config)
            assert found == [], (resource["name"], path, [str(v) for v in found])
            checked += 1
    assert checked > 300
