"""Reviewer's tools over an offline plan: cost estimate, deployment critical path, policy verdicts, stack diff."""
