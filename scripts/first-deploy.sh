#!/usr/bin/env bash
# First deploy of a new environment, phase 1: network, cluster and CI runner, from outside the VPC.
#
#   scripts/first-deploy.sh <stack>
#
# Runs in the first-deploy workflow (.github/workflows/first-deploy.yml) as the environment's deploy role,
# so that role creates the cluster and is its admin (README "Deploying for real"). Phase 2 is the ordinary
# deploy on the new runner. Needs: the Pulumi CLI logged in to the backend, AWS credentials of the deploy
# role, the repository's venv (.venv). STACK_FILE: another stack file (as the plan's --config).
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:?usage: scripts/first-deploy.sh <stack>}"
python=".venv/bin/python"
config_args=()
if [[ -n "${STACK_FILE:-}" ]]; then config_args=(--config "$STACK_FILE"); fi

caller="$(aws sts get-caller-identity --query Arn --output text)"
# Refuses the placeholder repository, another repository, and any identity but the deploy role.
context="$("$python" -m stacks.ci_context check --stack "$stack" --repository "${GITHUB_REPOSITORY:-}" \
  --caller-arn "$caller" "${config_args[@]}")"
secrets_provider="$(sed -n 's/^secretsProvider=//p' <<<"$context")"

# The workflows' stack names: <org>/mlplatform/<stack> (the DIY S3 backend's org is "organization").
stack_ref="${PULUMI_ORG:-organization}/mlplatform/$stack"
if ! pulumi stack select "$stack_ref" 2>/dev/null; then
  pulumi stack init "$stack_ref" --secrets-provider "$secrets_provider"
fi

mapfile -t targets < <("$python" -m stacks.phase_one --stack "$stack" "${config_args[@]}")
echo "phase 1 of $stack: ${#targets[@]} targets (network, cluster, CI runner and their dependencies)"
pulumi up --yes --refresh "${targets[@]}" \
  --policy-pack policy --policy-pack-config "policy/config/$stack.json"
echo "phase 1 done: run the deploy workflow for $stack (phase 2 runs on the runner inside the VPC)"
