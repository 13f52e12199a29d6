"""The platform itself passes its own gate: every stack, evaluated under mocks, through the whole pack."""

from __future__ import annotations

from policy.mlpolicies.runner import load_stack_config, run_pack
from stacks.review.verdicts import policy_resources


def test_every_stack_passes_the_whole_pack(stack_eval):
    resources = policy_resources(stack_eval.resources)
    assert len(resources) > 50
    violations = run_pack(resources, load_stack_config(stack_eval.stack))
    assert violations == [], "\n".join(map(str, violations))


def test_every_stack_passes_the_strictest_config(stack_eval):
    """With no config every policy runs at its default (prod) level: still nothing to report."""
    violations = run_pack(policy_resources(stack_eval.resources), None)
    assert violations == [], "\n".join(map(str, violations))
