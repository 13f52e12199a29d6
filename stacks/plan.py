"""Offline plan: evaluate a stack's real program under mocks and print what it would create.

    python -m stacks.plan --stack dev             # readable plan
    python -m stacks.plan --stack prod --json     # everything below as JSON, every resource, secrets masked
    python -m stacks.plan --compare dev prod      # two stacks side by side
    python -m stacks.plan --stack prod --settings # the effective settings (defaults resolved) as YAML
    python -m stacks.plan --stack prod --upgrade-to 1.35   # what a Kubernetes version bump changes
    python -m stacks.plan --project examples --stack dev   # a team project on its platform stack

The plan shows resource counts, node pools, Helm releases, the first-deploy check (everything that waits
for ready pods has a node pool to run on, in create order), the policy pack's verdicts (with the stack's
policy/config/<stack>.json), a monthly cost estimate and the deployment critical path.
Needs no Pulumi CLI and no cloud credentials. Exit status: 0 ok, 1 a mandatory policy failed or something
would wait forever on the first deploy, 2 invalid settings or unknown stack.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from components.gpu.report import TITLE as GPU_SECTION_TITLE
from components.gpu.report import gpu_plan_section
from domain.settings import PlatformSettings, SettingsError
from domain.settings.loader import PROJECT, settings_from_config
from domain.settings.node_pools import POOL_LABEL
from domain.versions import kubernetes_release, pin_warnings
from stacks.offline import (
    SECRET_MASK,
    Evaluation,
    PlannedResource,
    evaluate,
    evaluate_project,
    live_node_groups,
    read_stack_config,
)
from stacks.review import ci_access
from stacks.review.changes import diff_plans, render_diff, roll_order
from stacks.review.compare import pools_side_by_side, settings_diff
from stacks.review.cost import CostReport, estimate, project_estimate
from stacks.review.critical_path import CriticalPath, critical_path
from stacks.review.first_deploy import FirstDeployReport, first_deploy
from stacks.review.verdicts import Verdicts, describe_exemption, project_verdicts, stack_verdicts
from stacks.review.zonal import render_zonal

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


@dataclass
class Review:
    """What a reviewer needs besides the resources: verdicts, cost, critical path, first deploy."""

    verdicts: Verdicts
    cost: CostReport
    path: CriticalPath
    first_deploy: FirstDeployReport


def review(ev: Evaluation) -> Review:
    if ev.project_dir is not None:
        # A team project deploys onto the platform's running pools: the first deploy is the platform's.
        return Review(project_verdicts(ev.project_dir, ev.settings.environment, ev.resources),
                      project_estimate(ev.settings, ev.resources), critical_path(ev.resources), FirstDeployReport([]))
    deploy = first_deploy(ev.resources)
    return Review(stack_verdicts(ev.stack, ev.settings.environment, ev.resources),
                  estimate(ev.settings, ev.resources), critical_path(ev.resources, deploy.scale_ups()), deploy)


def money(x: float) -> str:
    return f"${x:,.2f}"


def render_verdicts(v: Verdicts) -> str:
    failing = {k: n for k, n in v.counts().items() if n}
    lines = [f"{len(v.policies)} policies with {v.config_name}: {len(v.violations)} violations, "
             f"{len(v.mandatory_failures)} mandatory"]
    if failing:
        lines.append(table(["violations", "policy"], [[n, k] for k, n in sorted(failing.items())]))
    lines += [f"  [{x.enforcement}] {x.policy_name} on {x.resource_name or 'stack'}: {x.message}" for x in v.violations]
    lines.append(f"exempt from gpu-workloads-readable: {len(v.exemptions) or 'none'}")
    lines += [f"  {describe_exemption(e)}" for e in v.exemptions]
    return "\n".join(lines)


def render_cost(c: CostReport) -> str:
    rows = [[line.item, line.detail, money(line.idle), money(line.peak)] for line in c.lines]
    rows.append(["total", "", money(c.idle_total), money(c.peak_total)])
    return (f"Monthly, {c.region}, prices of {c.price_date}; spot at {c.spot_discount:.0%} off on-demand.\n"
            + table(["item", "detail", "at rest", "peak (max)"], rows))


def render_path(p: CriticalPath) -> str:
    rows = [[f"{s.start // 60}:{s.start % 60:02d}", f"{s.seconds}s", s.type, s.name] for s in p.steps]
    return (f"Longest chain of creations: {p.total_seconds // 60} min {p.total_seconds % 60} s "
            "(typical create times, stacks/review/critical_path.py)\n" + table(["starts", "takes", "type", "name"], rows))


def render_pins(today: date) -> str:
    """Pins older than a year, or without a verified release date or digest (domain/versions.py)."""
    warnings = pin_warnings(today)
    return "\n".join(f"warning: {w}" for w in warnings) if warnings else "every pin is current and pinned by digest"


def render_first_deploy(d: FirstDeployReport) -> str:
    rows = [["WAITS FOREVER" if v.stuck else "ok", v.waiter.type.rsplit(":", 1)[-1], v.waiter.name, v.runs_on]
            for v in d.verdicts]
    head = (f"{len(d.stuck)} of {len(d.verdicts)} resources that wait for ready pods would wait forever"
            if d.stuck else f"all {len(d.verdicts)} resources that wait for ready pods have a node pool, in create order")
    return head + " (stacks/review/first_deploy.py)\n" + table(["", "kind", "resource", "runs on"], rows)


def render_text(ev: Evaluation, rv: Review) -> str:
    s = ev.settings
    counts = Counter(r.type for r in ev.resources if r.is_resource)
    what = f"project '{ev.project}' stack '{ev.stack}' on platform stack '{s.stack}'" if ev.project_dir \
        else f"stack '{ev.stack}'"
    header = (f"Offline plan of {what} (environment {s.environment}, region {s.region}, "
              f"cluster {s.cluster_name}): {sum(counts.values())} resources, "
              f"{sum(1 for r in ev.resources if not r.is_resource)} components")
    parts = [header]
    parts.append(section("Resources by type", table(["count", "type"], [[n, t] for t, n in sorted(counts.items())])))
    parts.append(section("Node pools", table(
        ["pool", "kind", "instance types", "capacity", "AMI", "min/desired/max", "taints", "labels"], pool_rows(ev))))
    releases = release_rows(ev)
    if releases:
        parts.append(section("Helm releases", table(["release", "chart", "version", "namespace", "pool"], releases)))
    parts.append(section(GPU_SECTION_TITLE, gpu_plan_section(ev)))
    access = ci_access.ci_access_section(ev, table)
    if access:
        parts.append(section(ci_access.TITLE, access))
    zonal = render_zonal(ev)
    if zonal:
        parts.append(section("Zonal volumes", zonal))
    if ev.project_dir is None:
        parts.append(section("First deploy", render_first_deploy(rv.first_deploy)))
    parts.append(section("Version pins", render_pins(date.today())))
    parts.append(section("Policy verdicts", render_verdicts(rv.verdicts)))
    parts.append(section("Cost estimate", render_cost(rv.cost)))
    parts.append(section("Deployment critical path", render_path(rv.path)))
    outs = masked_outputs(ev)
    parts.append(section("Outputs", "\n".join(f"{k}: {json.dumps(v)}" for k, v in outs.items())))
    return "\n".join(parts) + "\n"


def resource_json(r: PlannedResource) -> dict[str, Any]:
    return {"type": r.type, "name": r.name, "urn": r.urn, "parent": r.parent, "custom": r.is_resource,
            "protect": r.protect, "retainOnDelete": r.retain_on_delete,
            "dependencies": sorted(r.all_dependencies), "inputs": r.masked_inputs}


def to_json(ev: Evaluation, rv: Review) -> dict[str, Any]:
    return {
        "stack": ev.stack,
        "project": ev.project,
        "environment": ev.settings.environment,
        "region": ev.settings.region,
        "resourceCount": sum(1 for r in ev.resources if r.is_resource),
        "nodePools": [p.model_dump(by_alias=True) for p in ev.settings.pools],
        "helmReleases": [dict(zip(["release", "chart", "version", "namespace", "pool"], row, strict=False)) for row in release_rows(ev)],
        "firstDeploy": rv.first_deploy.as_dict(),
        "policy": rv.verdicts.as_dict(),
        "cost": rv.cost.as_dict(),
        "criticalPath": rv.path.as_dict(),
        "pinWarnings": pin_warnings(date.today()),
        "outputs": masked_outputs(ev),
        "resources": [resource_json(r) for r in sorted(ev.resources, key=lambda r: r.urn)],
    }


def render_compare(a: tuple[Evaluation, Review], b: tuple[Evaluation, Review]) -> str:
    (ea, ra), (eb, rb) = a, b
    diff = settings_diff(ea.settings, eb.settings)
    parts = [f"Stacks '{ea.stack}' and '{eb.stack}' compared"]
    parts.append(section("Settings that differ", table(["setting", ea.stack, eb.stack],
                                                       [[k, json.dumps(x), json.dumps(y)] for k, x, y in diff])))
    parts.append(section("Node pools", table(["pool", ea.stack, eb.stack], pools_side_by_side(ea.settings, eb.settings))))
    items = list(dict.fromkeys([line.item for line in ra.cost.lines] + [line.item for line in rb.cost.lines]))
    ca = {line.item: line for line in ra.cost.lines}
    cb = {line.item: line for line in rb.cost.lines}

    def cell(c, item):
        return f"{money(c[item].idle)} / {money(c[item].peak)}" if item in c else "-"

    rows = [[item, cell(ca, item), cell(cb, item)] for item in items]
    rows.append(["total", f"{money(ra.cost.idle_total)} / {money(ra.cost.peak_total)}",
                 f"{money(rb.cost.idle_total)} / {money(rb.cost.peak_total)}"])
    parts.append(section("Monthly cost (at rest / peak)", table(["item", ea.stack, eb.stack], rows)))
    parts.append(section("Resources and critical path", table(["", ea.stack, eb.stack], [
        ["resources", sum(r.is_resource for r in ea.resources), sum(r.is_resource for r in eb.resources)],
        ["critical path", f"{ra.path.total_seconds // 60} min", f"{rb.path.total_seconds // 60} min"],
        ["policy violations (mandatory)", f"{len(ra.verdicts.violations)} ({len(ra.verdicts.mandatory_failures)})",
         f"{len(rb.verdicts.violations)} ({len(rb.verdicts.mandatory_failures)})"]])))
    return "\n".join(parts) + "\n"


def compare_json(a: tuple[Evaluation, Review], b: tuple[Evaluation, Review]) -> dict[str, Any]:
    (ea, ra), (eb, rb) = a, b
    return {"stacks": [ea.stack, eb.stack],
            "settings": [{"key": k, ea.stack: x, eb.stack: y} for k, x, y in settings_diff(ea.settings, eb.settings)],
            "pools": [{"pool": n, ea.stack: x, eb.stack: y} for n, x, y in pools_side_by_side(ea.settings, eb.settings)],
            "cost": {ea.stack: ra.cost.as_dict(), eb.stack: rb.cost.as_dict()}}


def effective_settings_yaml(settings: PlatformSettings, secret_keys: Iterable[str] = ()) -> str:
    """The validated settings with every default resolved, as stack config spells them (YAML). Secret
    config is never a setting: only its keys are listed, values masked."""
    values = settings.model_dump(mode="json", by_alias=True, exclude={"project", "stack", "region"})
    doc: dict[str, Any] = {"aws:region": settings.region, **{f"{PROJECT}:{k}": v for k, v in values.items()}}
    doc.update({key: SECRET_MASK for key in sorted(secret_keys)})
    header = (f"# Effective settings of stack '{settings.stack}': the defaults of environment {settings.environment} "
              "(domain/settings/environments.py and the models) with the stack's config merged over them.\n")
    return header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=120)


def plan_project(project: str, stack: str) -> tuple[Evaluation, Review]:
    ev = evaluate_project(project, stack)
    return ev, review(ev)


def plan_stack(stack: str, config_file: str | None = None) -> tuple[Evaluation, Review]:
    config, secret_keys = read_stack_config(stack, path=config_file)
    ev = evaluate(stack, config, secret_keys)
    return ev, review(ev)


def with_cluster_version(config: dict[str, Any], version: str) -> dict[str, Any]:
    """The stack config with `cluster.version` set (the stack's other cluster settings kept)."""
    key = "mlplatform:cluster"
    cluster = json.loads(config[key]) if key in config else {}
    return {**config, key: json.dumps({**cluster, "version": version})}


def upgrade_review(stack: str, version: str, config_file: str | None = None) -> str:
    """What bumping the stack's Kubernetes version to `version` changes, replaces and rolls, in order."""
    config, secret_keys = read_stack_config(stack, path=config_file)
    deployed = live_node_groups(evaluate(stack, config, secret_keys))
    before = evaluate(stack, config, secret_keys, live_node_groups=deployed)
    after = evaluate(stack, with_cluster_version(config, version), secret_keys, live_node_groups=deployed)
    diff = diff_plans(before.resources, after.resources)
    text = render_diff(diff, roll_order(after.resources, diff.changed),
                       f"Stack '{stack}': Kubernetes {before.settings.cluster.version} -> {version}")
    release = kubernetes_release(version)
    if release is not None and release.unverified:
        text += (f"\nPins of {version} not verified against a source here: {', '.join(release.unverified)}. "
                 f"Check them with `aws eks describe-addon-versions --kubernetes-version {version}` before `pulumi up`.")
    return text + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="dev", help="stack to plan (reads Pulumi.<stack>.yaml); default dev")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.add_argument("--config", metavar="FILE", help="read config from FILE instead of Pulumi.<stack>.yaml")
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"), help="show how two stacks differ")
    parser.add_argument("--upgrade-to", metavar="VERSION",
                        help="show what bumping cluster.version to VERSION changes, replaces and rolls")
    parser.add_argument("--settings", action="store_true",
                        help="print the stack's effective settings (every default resolved) as YAML, secrets masked")
    parser.add_argument("--project", metavar="DIR", help="plan the team project in DIR (e.g. examples) instead")
    args = parser.parse_args(argv)
    try:
        if args.settings:
            config, secret_keys = read_stack_config(args.stack, path=args.config)
            print(effective_settings_yaml(settings_from_config(args.stack, config, secret_keys), secret_keys), end="")
            return 0
        if args.upgrade_to:
            print(upgrade_review(args.stack, args.upgrade_to, args.config), end="")
            return 0
        if args.compare:
            a, b = (plan_stack(s) for s in args.compare)
            if args.json:
                json.dump(compare_json(a, b), sys.stdout, indent=2, default=str)
                print()
            else:
                print(render_compare(a, b), end="")
            return 0
        ev, rv = plan_project(args.project, args.stack) if args.project else plan_stack(args.stack, args.config)
    except (SettingsError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(to_json(ev, rv), sys.stdout, indent=2, default=str)
        print()
    else:
        print(render_text(ev, rv), end="")
    status = 0
    if rv.verdicts.mandatory_failures:
        print(f"error: {len(rv.verdicts.mandatory_failures)} mandatory policy violations", file=sys.stderr)
        status = 1
    for v in rv.first_deploy.stuck:
        print(f"error: first deploy: {v.waiter.name} ({v.waiter.type}) would wait forever: {v.runs_on}", file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
