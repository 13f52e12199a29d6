"""The ml-platform-guardrails CrossGuard policy pack.

The policies live in `policy.mlpolicies`; `policy/__main__.py` is the entry point the Pulumi CLI runs.
"""
