"""Offline plan of the account bootstrap: run bootstrap/program.py under Pulumi's mock runtime and check it.

    python -m bootstrap.plan                       # bootstrap/Pulumi.account.yaml
    python -m bootstrap.plan --config my.yaml      # another stack file

Prints the roles with the GitHub subject each trusts, the secrets providers and the state backend, then
the checks: least privilege (no `*` or `<service>:*` action on `*`, changes only under tag conditions),
who may create clusters, what the preview roles may decrypt, the state bucket's protection. Exit 0 ok,
1 a check failed, 2 invalid settings. Reuses the platform's mocks (stacks/offline.py); imports nothing
else from stacks/.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml

from bootstrap.program import build
from bootstrap.settings import PROJECT, BootstrapSettings, load_bootstrap_settings
from domain.ci import GITHUB_OIDC_HOST, role_name, secrets_key_alias, secrets_provider
from domain.settings import SettingsError
from domain.settings.loader import parse_config_value
from stacks.offline import PlannedResource, PlatformMocks, RecordingMonitor

HERE = Path(__file__).resolve().parent
READ_PREFIXES = ("Describe", "Get", "List", "BatchGet")
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


@dataclass
class BootstrapPlan:
    settings: BootstrapSettings
    resources: list[PlannedResource]

    def of_type(self, typ: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == typ]

    def role(self, name: str) -> PlannedResource:
        return next(r for r in self.of_type("aws:iam/role:Role") if r.inputs.get("name") == name)

    def policy_of(self, role_name_: str) -> dict[str, Any]:
        policy = next(r for r in self.of_type(ROLE_POLICY) if r.name == role_name_)
        return json.loads(policy.inputs["policy"])

    def trust_of(self, role_name_: str) -> dict[str, Any]:
        return json.loads(self.role(role_name_).inputs["assumeRolePolicy"])

    def key_arn(self, alias: str) -> str:
        (a,) = [r for r in self.of_type("aws:kms/alias:Alias") if r.inputs["name"] == alias]
        key_id = a.inputs["targetKeyId"]
        return next(k.outputs["arn"] for k in self.of_type("aws:kms/key:Key") if k.outputs.get("keyId") == key_id)


def read_config(path: Path) -> tuple[dict[str, Any], list[str]]:
    doc = yaml.safe_load(path.read_text()) or {}
    config, secrets = {}, []
    for key, value in (doc.get("config") or {}).items():
        key = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets.append(key)
            value = "offline-placeholder-secret"
        config[key] = value if isinstance(value, str) else json.dumps(value)
    return config, secrets


def evaluate(config: dict[str, Any], secret_keys: list[str] | None = None, stack: str = "account") -> BootstrapPlan:
    """Run the bootstrap program under mocks. Raises SettingsError before any resource on bad config."""
    prefix = f"{PROJECT}:"
    raw = {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix) and k != f"{prefix}githubToken"}
    settings = load_bootstrap_settings({k: parse_config_value(v) for k, v in raw.items()})
    config = {**config, f"{prefix}githubToken": config.get(f"{prefix}githubToken", "offline-placeholder-secret")}
    mocks = PlatformMocks(region=parse_config_value(config.get("aws:region", "us-west-2")))
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config, [*(secret_keys or []), f"{prefix}githubToken"])
    pulumi.runtime.test(lambda: build(settings) and None)()
    return BootstrapPlan(settings, list(monitor.planned))


def _as_list(x: Any) -> list:
    return x if isinstance(x, list) else [x]


def is_read(action: str) -> bool:
    verb = action.split(":", 1)[-1]
    return verb != "*" and verb.startswith(READ_PREFIXES) or action == "sts:GetCallerIdentity"


def check(plan: BootstrapPlan) -> list[str]:
    """Every rule of the bootstrap, as problems (empty: all good)."""
    s = plan.settings
    project = s.platform_project
    problems: list[str] = []
    for policy in plan.of_type(ROLE_POLICY):
        for st in json.loads(policy.inputs["policy"])["Statement"]:
            actions, resources = _as_list(st["Action"]), _as_list(st["Resource"])
            if "*" in actions or any(a.endswith(":*") for a in actions):
                problems.append(f"{policy.name}: statement {st.get('Sid')} allows a wildcard action {actions}")
            changes = [a for a in actions if not is_read(a)]
            if "*" in resources and changes and "Condition" not in st:
                problems.append(f"{policy.name}: statement {st.get('Sid')} changes {changes} on any resource "
                                "without a tag condition")
    subjects = {f"repo:{s.repository}:environment:{e}" for env in s.environments for e in (env, f"{env}-preview")}
    for env in s.environments:
        for purpose, github_env in (("deploy", env), ("preview", f"{env}-preview")):
            name = role_name(project, env, purpose)
            (st,) = plan.trust_of(name)["Statement"]
            sub = st["Condition"]["StringEquals"].get(f"{GITHUB_OIDC_HOST}:sub")
            if sub != f"repo:{s.repository}:environment:{github_env}" or sub not in subjects:
                problems.append(f"{name}: trusts subject {sub!r}, not only environment {github_env} of {s.repository}")
        preview = plan.policy_of(role_name(project, env, "preview"))
        decryptable = {res for st in preview["Statement"] if "kms:Decrypt" in _as_list(st["Action"])
                       for res in _as_list(st["Resource"])}
        own = {plan.key_arn(secrets_key_alias(project, env)), plan.key_arn(f"alias/{project}-pulumi-state")}
        if decryptable - own:
            problems.append(f"{role_name(project, env, 'preview')}: may decrypt {sorted(decryptable - own)} besides "
                            "its own environment's secrets key")
        changes = [a for st in preview["Statement"] for a in _as_list(st["Action"])
                   if not is_read(a) and a not in ("kms:Decrypt", "s3:PutObject", "s3:DeleteObject")]
        if changes:
            problems.append(f"{role_name(project, env, 'preview')}: may change {changes}")
    creators = sorted(r.name for r in plan.of_type(ROLE_POLICY) if any(
        "eks:CreateCluster" in _as_list(st["Action"]) for st in json.loads(r.inputs["policy"])["Statement"]))
    if creators != sorted(role_name(project, e, "deploy") for e in s.environments):
        problems.append(f"only the deploy roles may create clusters; these can: {creators}")
    if s.state_backend == "s3":
        (bucket,) = plan.of_type("aws:s3/bucket:Bucket")
        if not (bucket.protect and bucket.retain_on_delete):
            problems.append("the state bucket must be protected and retained on delete")
        if not plan.of_type("aws:s3/bucketVersioning:BucketVersioning"):
            problems.append("the state bucket must be versioned")
    if s.repository_is_placeholder:
        problems.append(f"{PROJECT}:repository is the placeholder '{s.repository}': `pulumi up` refuses it. "
                        f"Fix: pulumi -C bootstrap config set repository <owner>/<repo>")
    return problems


def render(plan: BootstrapPlan) -> str:
    s = plan.settings
    lines = [f"Offline plan of the account bootstrap for {s.repository} ({len([r for r in plan.resources if r.custom])} "
             f"resources), state backend {s.state_backend}", "", "Roles (GitHub OIDC subject they trust):"]
    for env in s.environments:
        for purpose in ("deploy", "preview", "break-glass"):
            name = role_name(s.platform_project, env, purpose)
            (st,) = plan.trust_of(name)["Statement"]
            who = st["Condition"]["StringEquals"][f"{GITHUB_OIDC_HOST}:sub"] if purpose != "break-glass" else \
                f"{st['Principal']['AWS']} with MFA"
            sids = [x.get("Sid") for x in plan.policy_of(name)["Statement"]]
            lines.append(f"  {name}: {who}; statements {', '.join(sids)}")
    lines += ["", "Secrets providers (pulumi stack init <env> --secrets-provider ...):"]
    lines += [f"  {env}: {secrets_provider(s.platform_project, env, '<region>')}" for env in s.environments]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=HERE / "Pulumi.account.yaml")
    args = parser.parse_args(argv)
    try:
        plan = evaluate(*read_config(args.config))
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(render(plan))
    problems = check(plan)
    placeholder = [p for p in problems if "placeholder" in p]
    print("\nChecks: " + ("all passed" if not problems else f"{len(problems)} problem(s)"))
    for p in problems:
        print(f"  {'WARNING' if p in placeholder else 'FAIL'}: {p}")
    return 1 if set(problems) - set(placeholder) else 0


if __name__ == "__main__":
    sys.exit(main())
