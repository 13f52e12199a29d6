"""The first deploy of a new environment, phase 1: what must exist before CI can work from inside the VPC.

Before the first deploy there is no VPC, no runner and no cluster, so nothing can reach a private API
endpoint. Phase 1 runs outside the VPC (a GitHub-hosted runner, as the environment's deploy role, so that
role becomes the cluster's creator and admin) and creates only the network, the cluster and the CI runner,
plus everything they depend on: none of it talks to the Kubernetes API. Phase 2 is the ordinary deploy
on the runner. `pulumi up --target` includes a targeted component's children (pulumi/pulumi#7605) but not
its dependencies (pulumi/pulumi#5869), so the closure is computed here, from the offline plan.

    python -m stacks.phase_one --stack prod      # one --target argument per line, for scripts/first-deploy.sh
"""

from __future__ import annotations

import argparse
import sys

from domain.settings import SettingsError
from stacks.offline import Evaluation, PlannedResource, evaluate, read_stack_config

# The components phase 1 creates whole (by type): the network, the cluster, the CI runner.
PHASE_ONE_COMPONENTS = ("mlplatform:network:Network", "mlplatform:cluster:EksCluster", "mlplatform:ci:DeployRunner")


def _closure(ev: Evaluation, roots: list[PlannedResource]) -> set[str]:
    by_urn = ev.by_urn()
    children: dict[str, list[str]] = {}
    for r in ev.resources:
        children.setdefault(r.parent, []).append(r.urn)
    wanted: set[str] = set()
    todo = [r.urn for r in roots]
    while todo:
        urn = todo.pop()
        if urn in wanted or urn not in by_urn:
            continue
        wanted.add(urn)
        r = by_urn[urn]
        todo += list(r.all_dependencies) + children.get(urn, [])
        if r.provider:  # "urn::id" of an explicit provider
            todo.append(r.provider.rsplit("::", 1)[0])
    return wanted


def phase_one(ev: Evaluation) -> list[PlannedResource]:
    """Resources of phase 1, in plan order: the phase-1 components, their children and dependencies."""
    roots = [r for r in ev.resources if r.type in PHASE_ONE_COMPONENTS]
    missing = set(PHASE_ONE_COMPONENTS) - {r.type for r in roots}
    if missing - {"mlplatform:ci:DeployRunner"}:
        raise ValueError(f"the program has no {sorted(missing)}: phase 1 cannot be computed")
    wanted = _closure(ev, roots)
    return [r for r in ev.resources if r.urn in wanted]


def talks_to_kubernetes(r: PlannedResource) -> bool:
    """A resource whose create calls the Kubernetes API (a provider resource itself does not)."""
    return r.type.startswith("kubernetes:") and not r.type.startswith("pulumi:providers:")


def targets(ev: Evaluation) -> list[str]:
    """URNs to pass to `pulumi up --target`: the phase-1 components and what they depend on outside them."""
    resources = phase_one(ev)
    inside = {r.urn for r in resources if r.type in PHASE_ONE_COMPONENTS}
    by_urn = ev.by_urn()

    def under_root(urn: str) -> bool:
        while urn:
            if urn in inside:
                return True
            urn = by_urn[urn].parent if urn in by_urn else ""
        return False

    return [r.urn for r in resources if r.urn in inside or not under_root(r.urn)]


def engine_urn(urn: str) -> str:
    """The URN the engine gives: the mock runtime puts the root stack in the parent type chain, the engine
    does not (a resource parented to the stack has the URN urn:pulumi:<stack>::<project>::<type>::<name>)."""
    return urn.replace("::pulumi:pulumi:Stack$", "::", 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--config", help="another stack file (as the plan's --config)")
    args = parser.parse_args(argv)
    try:
        config, secret_keys = read_stack_config(args.stack, path=args.config)
        ev = evaluate(args.stack, config, secret_keys)
    except (SettingsError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    bad = [r.urn for r in phase_one(ev) if talks_to_kubernetes(r)]
    if bad:
        print(f"error: phase 1 would call the Kubernetes API from outside the VPC: {bad}", file=sys.stderr)
        return 1
    for urn in targets(ev):
        print(f"--target={engine_urn(urn)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
