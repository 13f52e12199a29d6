"""The pack's identity. `policy/__main__.py` passes `pack_arguments()` to `PolicyPack`; tests and the
runner use the same list, so what they check is what the CLI runs."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel

from .policies import ALL

PACK_NAME = "ml-platform-guardrails"
DESCRIPTION = ("Guardrails for the ML platform on EKS: GPU scheduling (limits, taints and tolerations, spot "
               "and priority discipline, PDBs, quotas), node group taints, GPU operator tolerations, and "
               "cluster hygiene.")
# Policies that set no level of their own would fall back to this; all of ours set one.
DEFAULT_ENFORCEMENT = EnforcementLevel.ADVISORY


def pack_arguments() -> dict[str, Any]:
    return {
        "name": PACK_NAME,
        "policies": list(ALL),
        "enforcement_level": DEFAULT_ENFORCEMENT,
        "description": DESCRIPTION,
        "display_name": "ML platform guardrails",
        "provider": "kubernetes",
        "tags": ["kubernetes", "eks", "gpu", "ml"],
    }
