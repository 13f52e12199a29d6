"""What a workflow needs to know about a stack before a job runs, read from the stack's own config.

    python -m stacks.ci_context matrix dev staging prod     # JSON for a job matrix (region, runner, roles...)
    python -m stacks.ci_context check --stack prod --repository "$GITHUB_REPOSITORY" [--caller-arn ARN]

`matrix` gives, per stack: the AWS region of its config, its environment, the CodeBuild runner project
(the job's `runs-on` is `codebuild-<runner>-${{ github.run_id }}-${{ github.run_attempt }}`), the role
names and the Pulumi CLI version (the `pulumi` pin of requirements.txt). `check` refuses a deploy whose
stack still names the placeholder repository or another one, or that does not run as the environment's
deploy role (clusters are created only by it). Exit 0 ok, 2 refused or invalid settings.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from domain.ci import runner_project_name, secrets_provider
from domain.settings import PlatformSettings, SettingsError, load_settings
from stacks.offline import ROOT, read_stack_config

PROJECT = "mlplatform"


def pulumi_version(root: Path = ROOT) -> str:
    """The Pulumi CLI version CI installs: the SDK pin (CLI and SDK are released with the same number)."""
    match = re.search(r"^pulumi==([0-9.]+)\s*$", (root / "requirements.txt").read_text(), re.M)
    if not match:
        raise ValueError("requirements.txt pins no pulumi==<version>. Fix: pin the Pulumi SDK exactly.")
    return match.group(1)


def stack_settings(stack: str, path: str | Path | None = None) -> PlatformSettings:
    config, secret_keys = read_stack_config(stack, path=path)
    prefix = f"{PROJECT}:"
    plain = {k[len(prefix):]: _scalar(v) for k, v in config.items() if k.startswith(prefix) and k not in secret_keys}
    region = config.get("aws:region")
    return load_settings(stack, plain, region,
                         secret_keys={k[len(prefix):] for k in secret_keys if k.startswith(prefix)})


def _scalar(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def context(stack: str, path: str | Path | None = None) -> dict[str, Any]:
    s = stack_settings(stack, path)
    return {
        "stack": stack,
        "environment": s.environment,
        "region": s.region,
        "runner": runner_project_name(s.cluster_name) if s.ci.runner == "codebuild" else "",
        "deployRole": s.ci_role_name("deploy"),
        "previewRole": s.ci_role_name("preview"),
        "secretsProvider": secrets_provider(PROJECT, s.environment, s.region),
        "pulumiVersion": pulumi_version(),
    }


def deploy_problems(stack: str, repository: str | None, caller_arn: str | None,
                    path: str | Path | None = None) -> list[str]:
    """Why a deploy of `stack` must not start here (empty: go)."""
    s = stack_settings(stack, path)
    problems = []
    if s.ci.runner == "codebuild":
        if s.ci.repository_is_placeholder:
            problems.append(f"{PROJECT}:ci.repository is the placeholder '{s.ci.repository}'. Fix: set it to "
                            f"{repository or '<owner>/<repo>'} in Pulumi.{stack}.yaml.")
        elif repository and s.ci.repository.lower() != repository.lower():
            problems.append(f"{PROJECT}:ci.repository is '{s.ci.repository}' but this runs in {repository}: the "
                            "runner would listen to another repository. Fix: set it to this repository.")
    deploy_role = s.ci_role_name("deploy")
    if caller_arn is not None and f":assumed-role/{deploy_role}/" not in caller_arn:
        problems.append(f"running as {caller_arn}, not the deploy role {deploy_role}: the identity that creates the "
                        "cluster becomes its admin outside Pulumi state (pulumi-eks#2373). Fix: run it from the "
                        "first-deploy workflow, which assumes the deploy role.")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    matrix = sub.add_parser("matrix")
    matrix.add_argument("stacks", nargs="+")
    check = sub.add_parser("check")
    check.add_argument("--stack", required=True)
    check.add_argument("--repository")
    check.add_argument("--caller-arn")
    for p in (matrix, check):
        p.add_argument("--config", help="another stack file (as the plan's --config)")
    args = parser.parse_args(argv)
    try:
        if args.command == "matrix":
            print(json.dumps([context(stack, args.config) for stack in args.stacks]))
            return 0
        problems = deploy_problems(args.stack, args.repository, args.caller_arn, args.config)
    except (SettingsError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 2
    for key, value in context(args.stack, args.config).items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
