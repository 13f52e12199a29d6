"""Policies of the ml-platform-guardrails pack, importable without starting the analyzer server.

    from policy.mlpolicies import run_pack, load_stack_config
    violations = run_pack(resources, load_stack_config("prod"))
    blocking = [v for v in violations if v.blocking]

Module layout:
    values.py     plain-data view of properties; UNKNOWN for preview-time unknowns
    settings.py   config options, their schemas and defaults; the typed Settings
    workloads.py  the walker: every pod spec of every workload kind, with its context
    scheduling.py taints/tolerations, GPU demand, node selection, label selectors
    framework.py  builders that turn check functions into CrossGuard policies
    policies/     one module per policy
    pack.py       the pack's name and PolicyPack arguments
    runner.py     run_pack(): the engine's evaluation, offline
"""

from .pack import PACK_NAME, pack_arguments
from .policies import ALL as POLICIES
from .policies import BY_NAME as POLICIES_BY_NAME
from .runner import Violation, load_stack_config, resolve_config, run_pack
from .values import UNKNOWN, materialize
from .workloads import BATCH_KINDS, SUPPORTED_KINDS, Workload, WorkloadContext, workloads

__all__ = [
    "BATCH_KINDS",
    "PACK_NAME",
    "POLICIES",
    "POLICIES_BY_NAME",
    "SUPPORTED_KINDS",
    "UNKNOWN",
    "Violation",
    "Workload",
    "WorkloadContext",
    "load_stack_config",
    "materialize",
    "pack_arguments",
    "resolve_config",
    "run_pack",
    "workloads",
]
