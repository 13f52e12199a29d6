"""Offline plan: evaluate a stack's real program under mocks and print what it would create.

    python -m stacks.plan --stack dev           # readable plan
    python -m stacks.plan --stack prod --json   # every planned resource, secrets masked

Needs no Pulumi CLI and no cloud credentials. Invalid settings exit with status 2 and the error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from stacks.offline import SECRET_MASK, Evaluation, PlannedResource, evaluate, read_stack_config
from stacks.settings import SettingsError
from stacks.settings.node_pools import POOL_LABEL

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain-text table with columns sized to their content."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in rows]
    return "\n".join(out)


def find_pool(values: Any) -> str:
    """The node pool a chart's values pin pods to (first `node-pool` selector found), or '-'."""
    if isinstance(values, dict):
        if isinstance(values.get(POOL_LABEL), str):
            return values[POOL_LABEL]
        for v in values.values():
            found = find_pool(v)
            if found != "-":
                return found
    elif isinstance(values, list):
        for v in values:
            found = find_pool(v)
            if found != "-":
                return found
    return "-"


def pool_rows(ev: Evaluation) -> list[list[Any]]:
    rows = []
    for pool in ev.settings.pools:
        rows.append([
            pool.name, pool.kind, ",".join(pool.instance_types), pool.capacity_type, pool.ami_type,
            f"{pool.min_size}/{pool.initial_size}/{pool.max_size}",
            ",".join(str(t) for t in pool.taints) or "-",
            ",".join(f"{k}={v}" for k, v in sorted(pool.node_labels.items())),
        ])
    return rows


def release_rows(ev: Evaluation) -> list[list[Any]]:
    rows = []
    for r in ev.of_type(HELM_RELEASE):
        i = r.inputs
        rows.append([i.get("name", r.name), i.get("chart", ""), i.get("version", ""), i.get("namespace", ""),
                     find_pool(i.get("values") or {})])
    return sorted(rows)


def masked_outputs(ev: Evaluation) -> dict[str, Any]:
    return {k: SECRET_MASK if k in ev.secret_outputs else v for k, v in ev.outputs.items()}


def section(title: str, body: str) -> str:
    return f"\n== {title} ==\n{body}"


# Extra sections other parts of the platform contribute: (title, fn(evaluation) -> text or "").
EXTRA_SECTIONS: list[tuple[str, Any]] = []


def render_text(ev: Evaluation) -> str:
    s = ev.settings
    counts = Counter(r.type for r in ev.resources if r.custom)
    header = (f"Offline plan of stack '{ev.stack}' (environment {s.environment}, region {s.region}, "
              f"cluster {s.cluster_name}): {sum(counts.values())} resources, "
              f"{sum(1 for r in ev.resources if not r.custom)} components")
    parts = [header]
    parts.append(section("Resources by type", table(["count", "type"], [[n, t] for t, n in sorted(counts.items())])))
    parts.append(section("Node pools", table(
        ["pool", "kind", "instance types", "capacity", "AMI", "min/desired/max", "taints", "labels"], pool_rows(ev))))
    releases = release_rows(ev)
    if releases:
        parts.append(section("Helm releases", table(["release", "chart", "version", "namespace", "pool"], releases)))
    for title, fn in EXTRA_SECTIONS:
        body = fn(ev)
        if body:
            parts.append(section(title, body))
    outs = masked_outputs(ev)
    parts.append(section("Outputs", "\n".join(f"{k}: {json.dumps(v)}" for k, v in outs.items())))
    return "\n".join(parts) + "\n"


def resource_json(r: PlannedResource) -> dict[str, Any]:
    return {"type": r.type, "name": r.name, "urn": r.urn, "parent": r.parent, "custom": r.custom,
            "protect": r.protect, "retainOnDelete": r.retain_on_delete,
            "dependencies": sorted(r.all_dependencies), "inputs": r.masked_inputs}


def to_json(ev: Evaluation) -> dict[str, Any]:
    return {
        "stack": ev.stack,
        "environment": ev.settings.environment,
        "region": ev.settings.region,
        "resourceCount": sum(1 for r in ev.resources if r.custom),
        "nodePools": [p.model_dump(by_alias=True) for p in ev.settings.pools],
        "helmReleases": [dict(zip(["release", "chart", "version", "namespace", "pool"], row, strict=False)) for row in release_rows(ev)],
        "outputs": masked_outputs(ev),
        "resources": [resource_json(r) for r in ev.resources],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="dev", help="stack to plan (reads Pulumi.<stack>.yaml); default dev")
    parser.add_argument("--json", action="store_true", help="print every planned resource as JSON")
    parser.add_argument("--config", metavar="FILE", help="read config from FILE instead of Pulumi.<stack>.yaml")
    args = parser.parse_args(argv)
    try:
        config, secret_keys = read_stack_config(args.stack, path=args.config)
        ev = evaluate(args.stack, config, secret_keys)
    except (SettingsError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(to_json(ev), sys.stdout, indent=2, default=str)
        print()
    else:
        print(render_text(ev), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
