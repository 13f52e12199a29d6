"""Write the key skeletons of the pinned upstream charts (tests/fixtures/charts/<chart>.keys.json).

Tests must not read the upstream charts (a clone of the project does not have them), so this script is
run by hand whenever a chart is bumped in domain/versions.py, against a folder holding each chart's
Chart.yaml, values.yaml (and charts/<subchart>/, values.schema.json) as published upstream for the pinned
version, and its PROVENANCE.txt (`<chart>/<file> <- repository@commit:path` lines). Commit the output:

    python tests/tools/chart_skeleton.py                       # every chart pinned in domain/versions.py
    python tests/tools/chart_skeleton.py gpu-operator --upstream /path/to/charts
    python tests/tools/chart_skeleton.py --check               # fail if a fixture is not what it would write

The fixture format is described in tests/chart_keys.py. Which keys are open, extra or take other types is
decided here, per chart, each with its reason (RULES); the tests only read the result.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from domain.versions import CHARTS  # noqa: E402
from tests.chart_keys import FIXTURES, join, split_path, type_name  # noqa: E402

UPSTREAM = Path("/work/shared/charts")

# Key names whose value is a Kubernetes object rendered verbatim, or a map of names the user chooses. Which
# of them a chart leaves free-form is per chart (Chart.open_names), as strict as the suite that first checked
# it: where a name is not listed, only the chart's own children of that key (and its extra keys) are accepted.
OPEN_NAMES = {
    "nodeSelector": "a Kubernetes node selector (node label -> value).",
    "resources": "Kubernetes ResourceRequirements (requests, limits), rendered verbatim.",
    "affinity": "a Kubernetes Affinity, rendered verbatim.",
    "securityContext": "a Kubernetes SecurityContext, rendered verbatim.",
    "podSecurityContext": "a Kubernetes PodSecurityContext, rendered verbatim.",
    "annotations": "Kubernetes annotations (name -> value).",
    "labels": "Kubernetes labels (name -> value).",
    "podAnnotations": "Kubernetes annotations of the pods (name -> value).",
    "podLabels": "Kubernetes labels of the pods (name -> value).",
    "additionalLabels": "Kubernetes labels added to the object (name -> value).",
    "deploymentAnnotations": "Kubernetes annotations of the Deployment (name -> value).",
    "daemonsetAnnotations": "Kubernetes annotations of the DaemonSets (name -> value).",
    "priorityConfigMapAnnotations": "Kubernetes annotations of the priority expander ConfigMap (name -> value).",
    "selector": "Kubernetes label selector (label -> value).",
    "extraArgs": "command-line flags of the container (flag name -> value).",
    "extraEnv": "environment variables of the container (name -> value).",
    "featureGates": "feature gates (name -> on or off).",
}
# The GPU charts: maps of names the user chooses (Kubernetes objects only where listed in Chart.open).
GPU_OPEN_NAMES = ("nodeSelector", "labels", "annotations", "podAnnotations", "podLabels", "additionalLabels",
                  "extraArgs", "extraEnv", "featureGates", "deploymentAnnotations", "daemonsetAnnotations",
                  "priorityConfigMapAnnotations", "selector")
# The MLOps service charts: Kubernetes objects passed through verbatim (toYaml), whose fields are the API's.
SERVICE_OPEN_NAMES = ("securityContext", "podSecurityContext", "resources", "nodeSelector", "affinity",
                      "annotations", "labels", "podAnnotations", "podLabels")


@dataclass(frozen=True)
class Chart:
    """How to read one chart, and what its values.yaml does not say."""

    values: str = "values.yaml"
    subcharts: tuple[str, ...] = ()  # charts/<name>/, whose keys sit under <name>.
    open_names: tuple[str, ...] = ()  # OPEN_NAMES free-form in this chart, wherever they appear
    open: dict[str, str] = field(default_factory=dict)  # path -> why anything below it is accepted
    extra: dict[str, str] = field(default_factory=dict)  # path -> why the chart accepts it
    alternative_types: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    commented_args: str = ""  # a map of flags whose commented examples in values.yaml are extra keys
    schema: bool = False  # copy values.schema.json and record the defaults (the services tests validate)
    version_note: str = ""  # set: a `-devel` Chart.yaml stands for the pinned release, for this reason


ZENML_COMMENTED = ("the zenml key skeleton's trailer (values.skeleton.yaml): valid but commented out upstream, "
                   "present in the chart's templates and comments.")
CA_FAQ_FLAG = ("a Cluster Autoscaler flag of release-1.34 (cluster-autoscaler/FAQ.md, \"What are the parameters "
               "to CA?\") that is not among the commented examples under extraArgs.")
PDB_FIELD = "values.yaml: `podDisruptionBudget: {{}}` followed by \"#  {field}: 1\" (a PodDisruptionBudget spec field)."
COMMENTED_ARG = "a commented example under `{key}:` in values.yaml (`# {line}`)."

RULES: dict[str, Chart] = {
    "gpu-operator": Chart(
        subcharts=("node-feature-discovery",),
        open_names=GPU_OPEN_NAMES,
        open={
            "node-feature-discovery.worker.affinity": (
                "node-feature-discovery values.yaml: `affinity: {}`, \"[Affinity](...) for the nfd-worker pods\": "
                "a Kubernetes Affinity, rendered verbatim."),
        },
        version_note="the Chart.yaml in git says v1.0.0-devel (the version is stamped at release); its values "
                     "are identical to the pinned release tag.",
    ),
    "cluster-autoscaler": Chart(
        open_names=GPU_OPEN_NAMES,
        commented_args="extraArgs",
        open={
            "extraArgs": ("Cluster Autoscaler flags (flag -> value), rendered as --flag=value; \"Everything after "
                          "the first _ will be ignored\" (values.yaml). The known flags are the extra keys below it."),
            "containerSecurityContext": "values.yaml: `containerSecurityContext: {}`, the container's Kubernetes "
                                        "SecurityContext, rendered verbatim.",
            "securityContext": "values.yaml: `securityContext: {}`, the pod's Kubernetes PodSecurityContext, "
                               "rendered verbatim.",
            "resources": "values.yaml: `resources: {}`, Kubernetes ResourceRequirements, rendered verbatim.",
        },
        extra={f"extraArgs.{flag}": CA_FAQ_FLAG for flag in (
            "scale-down-gpu-utilization-threshold", "max-graceful-termination-sec", "expendable-pods-priority-cutoff",
            "cordon-node-before-terminating", "scale-down-unready-time", "max-total-unready-percentage",
            "ok-total-unready-count", "new-pod-scale-up-delay", "max-nodes-total", "max-scale-down-parallelism",
            "max-drain-parallelism", "daemonset-eviction-for-occupied-nodes", "daemonset-eviction-for-empty-nodes",
            "skip-nodes-with-custom-controller-pods", "unremovable-node-recheck-timeout",
            "max-node-group-backoff-duration", "initial-node-group-backoff-duration",
            "node-group-backoff-reset-timeout", "estimator")},
        alternative_types={
            "expanderPriorities": (("string",), "templates/priority-expander-configmap.yaml passes a string "
                                                "through unchanged (`kindIs \"string\"`)."),
        },
    ),
    "kube-prometheus-stack": Chart(
        subcharts=("grafana", "kube-state-metrics", "prometheus-node-exporter"),
        open_names=("nodeSelector", "resources"),
        open={
            "grafana.podAnnotations": OPEN_NAMES["podAnnotations"],
            'grafana."grafana.ini"': (
                "rendered into grafana.ini; every section and option of Grafana's configuration is valid here "
                "(auth.generic_oauth, server.root_url, users, ...)."),
            "grafana.envValueFrom": "map of environment variable name -> Kubernetes EnvVarSource (secretKeyRef, "
                                    "configMapKeyRef).",
            "additionalPrometheusRulesMap": "map of PrometheusRule name -> spec (groups of Prometheus rules), "
                                            "rendered as PrometheusRule objects.",
            "prometheus.prometheusSpec.externalLabels": "label name -> value added to every series and alert "
                                                        "leaving this Prometheus.",
            "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate": "a Kubernetes PersistentVolumeClaim "
                                                                         "template (spec.storageClassName, "
                                                                         "spec.resources, ...).",
            "alertmanager.alertmanagerSpec.storage.volumeClaimTemplate": "a Kubernetes PersistentVolumeClaim "
                                                                         "template (spec.storageClassName, "
                                                                         "spec.resources, ...).",
        },
        extra={
            "grafana.adminPassword": (
                "grafana values.yaml: \"# adminPassword: strongpassword\" (templates/secret.yaml renders it); listed "
                "so the checker accepts it, the component never sets it (admin credentials come from "
                "admin.existingSecret)."),
            "grafana.podDisruptionBudget.minAvailable": (
                "grafana values.yaml: \"podDisruptionBudget: {}\" followed by \"#  minAvailable: 1\"; "
                "templates/poddisruptionbudget.yaml renders .Values.podDisruptionBudget.minAvailable."),
            "grafana.podDisruptionBudget.maxUnavailable": (
                "grafana values.yaml: \"#  maxUnavailable: 1\" under podDisruptionBudget; rendered by "
                "templates/poddisruptionbudget.yaml."),
            "grafana.serviceAccount.annotations": (
                "grafana values.yaml: \"#  annotations:\" with an eks.amazonaws.com/role-arn example under "
                "serviceAccount."),
            "grafana.podAnnotations": (
                "grafana values.yaml: \"# podAnnotations: {}\" (\"Pod Annotations\"); templates/deployment.yaml "
                "renders `with .Values.podAnnotations` into the pod template's annotations "
                "(grafana-community/helm-charts@3386a11)."),
            "prometheus-node-exporter.priorityClassName": (
                "prometheus-node-exporter values.yaml: '# priorityClassName: \"\"' (\"Assign a PriorityClassName to "
                "pods if set\"); rendered by templates/daemonset.yaml."),
            "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate": (
                "kube-prometheus-stack values.yaml: \"storageSpec: {}\" with a commented \"volumeClaimTemplate:\" "
                "example; templates/prometheus/prometheus.yaml copies storageSpec verbatim into "
                "Prometheus.spec.storage."),
            "alertmanager.alertmanagerSpec.storage.volumeClaimTemplate": (
                "kube-prometheus-stack values.yaml: \"storage: {}\" with a commented \"volumeClaimTemplate:\" "
                "example; copied verbatim into Alertmanager.spec.storage."),
        },
    ),
    "keycloakx": Chart(
        open_names=SERVICE_OPEN_NAMES,
        extra={f"podDisruptionBudget.{field}": PDB_FIELD.format(field=field)
               for field in ("maxUnavailable", "minAvailable")},
        schema=True,
    ),
    "mlflow": Chart(
        open_names=SERVICE_OPEN_NAMES,
        open={
            "extraEnvVars": "values.yaml: `extraEnvVars: {}`, environment variable name -> value (commented "
                            "examples: MLFLOW_S3_IGNORE_TLS, AWS_DEFAULT_REGION, ...).",
        },
        schema=True,
    ),
    "zenml": Chart(
        values="values.skeleton.yaml",
        open_names=SERVICE_OPEN_NAMES,
        extra={path: ZENML_COMMENTED for path in (
            "server.threadPoolSize", "server.authThreadPoolSize", "server.requestTimeout",
            "server.requestDeduplication", "server.requestCacheTimeout",
            "server.database.passwordSecretRef.name", "server.database.passwordSecretRef.key",
            "server.database.sslCa.value", "server.database.sslCa.secretRef", "server.database.sslCa.secretRef.name",
            "server.database.sslCa.secretRef.key", "server.database.poolSize",
            "server.database.maxOverflow", "server.database.backupPVStorageClass",
            "server.database.backupPVStorageSize", "server.database.backupDatabase",
            "autoscaling.targetMemoryUtilizationPercentage", "podSecurityContext.fsGroup")},
    ),
    "lakefs": Chart(
        open_names=SERVICE_OPEN_NAMES,
        extra={
            "serviceAccount.name": "values.yaml: `serviceAccount: {}` followed by \"# serviceAccount:\" / "
                                   "\"#   name: \\\"my-serviceaccount\\\"\" (use an existing service account).",
            "serviceAccount.create": "templates/serviceaccount.yaml: `{{- if .Values.serviceAccount.create }}` "
                                     "renders a ServiceAccount (none is created unless it is set).",
            "serviceAccount.annotations": "templates/serviceaccount.yaml: `{{- with "
                                          ".Values.serviceAccount.annotations }}` annotations of the "
                                          "ServiceAccount.",
        },
    ),
    "metrics-server": Chart(open_names=("nodeSelector", "resources")),
    "prometheus-operator-crds": Chart(open_names=("annotations",)),
    "aws-load-balancer-controller": Chart(
        open_names=SERVICE_OPEN_NAMES,
        open={
            "defaultTags": "values.yaml: `defaultTags: {}`, the tags (key -> value) applied to every AWS "
                           "resource the controller manages (commented example: default_tag1: value1).",
        },
        extra={"podDisruptionBudget.maxUnavailable": PDB_FIELD.format(field="maxUnavailable")},
    ),
    "keda": Chart(
        open_names=("nodeSelector", "resources", "affinity", "securityContext", "podSecurityContext",
                    "annotations", "additionalLabels"),
        extra={f"podDisruptionBudget.{part}.{field}": (
            f"values.yaml: `podDisruptionBudget: {{{part}: {{}}}}` followed by \"#  {field}: 1\"; "
            f"templates render it as the {part}'s PodDisruptionBudget spec.")
            for part in ("operator", "metricServer", "webhooks") for field in ("minAvailable", "maxUnavailable")},
    ),
}


def walk(values: dict[str, Any], prefix: str, keys: dict[str, str]) -> None:
    """Every key path below `prefix` with its type. A key both a parent chart and a subchart define (the
    parent's block is merged over the subchart's defaults) keeps the type that is not null."""
    for key, value in values.items():
        path = join(prefix, key)
        new, old = type_name(value), keys.get(path, "null")
        if "null" not in (new, old) and new != old:
            raise SystemExit(f"{path}: a {old} in one values.yaml, a {new} in another; add an alternative type")
        keys[path] = old if new == "null" else new
        if isinstance(value, dict):
            walk(value, path, keys)


def provenance(charts: Path, file: str) -> str:
    for line in (charts / "PROVENANCE.txt").read_text().splitlines():
        if line.startswith(f"{file} <- "):
            return line.split(" <- ", 1)[1]
    raise SystemExit(f"{file}: not in {charts / 'PROVENANCE.txt'}")


def chart_version(charts: Path, chart: str, rule: Chart) -> str:
    version = str(yaml.safe_load((charts / chart / "Chart.yaml").read_text())["version"])
    if version.endswith("-devel"):
        if not rule.version_note:
            raise SystemExit(f"{chart}: Chart.yaml says {version}; which release do these values stand for?")
        return CHARTS[chart].version
    return version


def commented_flags(text: str, key: str) -> dict[str, str]:
    """Keys of the commented examples in the top-level `key:` block (`# scale-down-enabled: true`) -> the line.
    A numbered key (`# balancing-ignore-label_1: ...`) counts without its number."""
    block = re.search(rf"^{re.escape(key)}:\n((?:[ ]+.*\n|\n)+)", text, re.MULTILINE)
    lines = re.findall(r"^\s+#\s*(([a-z][a-z0-9-]+)(?:_\d+)?:.*)$", block.group(1), re.MULTILINE) if block else []
    found: dict[str, str] = {}
    for line, flag in lines:
        found.setdefault(flag, line.strip())
    return found


def build(charts: Path, chart: str) -> tuple[dict[str, Any], bytes | None]:
    """The fixture of `chart`, and its values.schema.json if the tests validate against it."""
    # A chart without rules of its own reads as a service chart: Kubernetes objects under the usual names are open.
    rule = RULES.get(chart, Chart(open_names=SERVICE_OPEN_NAMES))
    text = (charts / chart / rule.values).read_text()
    values = yaml.safe_load(text)
    keys: dict[str, str] = {}
    subcharts = {}
    for sub in rule.subcharts:
        folder = f"{chart}/charts/{sub}"
        walk(yaml.safe_load((charts / folder / "values.yaml").read_text()), join("", sub), keys)
        subcharts[sub] = {"version": str(yaml.safe_load((charts / folder / "Chart.yaml").read_text())["version"]),
                          "source": provenance(charts, f"{folder}/values.yaml")}
    walk(values, "", keys)

    extra = dict(rule.extra)
    if rule.commented_args:
        extra |= {join(rule.commented_args, flag): COMMENTED_ARG.format(key=rule.commented_args, line=line)
                  for flag, line in commented_flags(text, rule.commented_args).items()
                  if join(rule.commented_args, flag) not in keys}
    stale = sorted(p for p in extra if p in keys)
    if stale:
        raise SystemExit(f"{chart}: {stale} are upstream keys now; drop them from RULES[{chart!r}].extra")
    open_paths = {path: OPEN_NAMES[split_path(path)[-1]] for path in (*keys, *extra)
                  if keys.get(path, "null") in ("map", "null") and split_path(path)[-1] in rule.open_names}
    open_paths |= rule.open
    unknown = sorted(p for p in (*rule.open, *rule.alternative_types) if p not in keys and p not in extra)
    if unknown:
        raise SystemExit(f"{chart}: {unknown} are not keys of the chart; fix RULES[{chart!r}]")

    schema = charts / chart / "values.schema.json" if rule.schema else None
    doc = {
        "chart": chart,
        "version": chart_version(charts, chart, rule),
        "source": provenance(charts, f"{chart}/{rule.values}"),
        "subcharts": subcharts,
        "keys": dict(sorted(keys.items())),
        "open": dict(sorted(open_paths.items())),
        "extra": dict(sorted(extra.items())),
        "alternativeTypes": {path: {"types": list(types), "reason": reason}
                             for path, (types, reason) in sorted(rule.alternative_types.items())},
        "schema": f"{chart}.values.schema.json" if schema else None,
        "defaults": values if schema else None,
        "versionNote": rule.version_note or None,
    }
    return doc, schema.read_bytes() if schema else None


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, default=str) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("charts", nargs="*", help="charts to write (default: every chart pinned in domain/versions.py)")
    parser.add_argument("--upstream", type=Path, default=UPSTREAM,
                        help=f"folder holding the upstream charts and PROVENANCE.txt (default {UPSTREAM})")
    parser.add_argument("--out", type=Path, default=FIXTURES, help=f"where to write (default {FIXTURES})")
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a fixture would change")
    args = parser.parse_args()
    names = args.charts or sorted(CHARTS)
    missing = sorted(set(names) - set(RULES))
    if missing:
        raise SystemExit(f"no RULES for {missing}: add an entry (Chart()) for each")
    drift = []
    for chart in names:
        doc, schema = build(args.upstream, chart)
        files = {f"{chart}.keys.json": render(doc).encode()}
        if schema is not None:
            files[doc["schema"]] = schema
        for name, data in files.items():
            target = args.out / name
            current = target.read_bytes() if target.exists() else b""
            if args.check:
                if current != data:
                    drift.append(name)
                    sys.stdout.writelines(difflib.unified_diff(current.decode().splitlines(True),
                                                               data.decode().splitlines(True), str(target),
                                                               "regenerated", n=1))
            elif current != data:
                args.out.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                print(f"wrote {target}")
    if drift:
        raise SystemExit(f"out of date: {', '.join(drift)}")


if __name__ == "__main__":
    main()
