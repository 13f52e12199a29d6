"""Write the key skeletons of the upstream chart values the GPU layer sets (tests/gpu/fixtures/*-keys.json).

Tests must not read the upstream charts (a clone of the project does not have them), so this script
is run once per chart bump, by hand, and its output is committed:

    python tests/gpu/tools/chart_keys.py --charts /path/to/charts   # a folder with gpu-operator/, cluster-autoscaler/

A skeleton maps every dotted key path of the chart's default values to its type (map, list, string,
number, bool, null). Maps whose keys are free-form (upstream empty maps, label/annotation maps,
extraArgs) are listed in "open": values below them are not checked. Lists are leaves.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stacks.versions import CHARTS  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# Map-valued keys whose children are names chosen by the user, wherever they appear.
FREE_FORM = frozenset({
    "nodeSelector", "labels", "annotations", "podAnnotations", "podLabels", "additionalLabels", "extraArgs",
    "extraEnv", "featureGates", "deploymentAnnotations", "daemonsetAnnotations", "priorityConfigMapAnnotations",
    "selector",
})
# Types a chart accepts besides the default's: cluster-autoscaler's priority-expander-configmap.yaml passes a
# string `expanderPriorities` through unchanged (`kindIs "string"`).
ALTERNATIVE_TYPES = {"cluster-autoscaler": {"expanderPriorities": ["string"]}}
# Cluster Autoscaler flags that exist in release-1.34 (cluster-autoscaler/FAQ.md "What are the parameters
# to CA?") but are not among the commented examples under extraArgs in the chart's values.yaml.
EXTRA_CA_FLAGS = (
    "scale-down-gpu-utilization-threshold", "max-graceful-termination-sec", "expendable-pods-priority-cutoff",
    "cordon-node-before-terminating", "scale-down-unready-time", "max-total-unready-percentage",
    "ok-total-unready-count", "new-pod-scale-up-delay", "max-nodes-total", "max-scale-down-parallelism",
    "max-drain-parallelism", "daemonset-eviction-for-occupied-nodes", "daemonset-eviction-for-empty-nodes",
    "skip-nodes-with-custom-controller-pods", "unremovable-node-recheck-timeout", "max-node-group-backoff-duration",
    "initial-node-group-backoff-duration", "node-group-backoff-reset-timeout", "estimator",
)


def type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return "string"


def walk(values: dict[str, Any], prefix: str, keys: dict[str, str], open_maps: set[str]) -> None:
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        keys[path] = type_name(value)
        if isinstance(value, dict):
            if not value or key in FREE_FORM:
                open_maps.add(path)
            else:
                walk(value, path, keys, open_maps)


def deep_merge(base: Any, override: Any) -> Any:
    """Helm's merge of values: maps key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{k: deep_merge(base.get(k), v) for k, v in override.items()}}
    return override


def commented_extra_args(text: str) -> list[str]:
    """Flag names in the commented examples of the `extraArgs:` block (`# scale-down-enabled: true`)."""
    block = re.search(r"^extraArgs:\n((?:[ ]+.*\n|\n)+)", text, re.MULTILINE)
    flags = re.findall(r"^\s+#?\s*([a-z][a-z0-9-]+)(?:_\d+)?:", block.group(1), re.MULTILINE) if block else []
    return sorted(set(flags))


def chart_version(charts: Path, chart: str) -> str:
    """The chart's version; a development Chart.yaml (gpu-operator's says v1.0.0-devel, the version is stamped at
    release) stands for the pinned release whose values it equals."""
    version = str(yaml.safe_load((charts / chart / "Chart.yaml").read_text())["version"])
    return CHARTS[chart].version if version.endswith("-devel") else version


def skeleton(chart: str, values: dict[str, Any], source: str, version: str) -> dict[str, Any]:
    keys: dict[str, str] = {}
    open_maps: set[str] = set()
    walk(values, "", keys, open_maps)
    return {"chart": chart, "version": version, "source": source, "keys": dict(sorted(keys.items())), "open": sorted(open_maps),
            "alternativeTypes": ALTERNATIVE_TYPES.get(chart, {})}


def provenance(charts: Path, path: str) -> str:
    for line in (charts / "PROVENANCE.txt").read_text().splitlines():
        if line.startswith(path + " <- "):
            return line.split(" <- ", 1)[1]
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--charts", required=True, type=Path, help="folder holding the upstream charts")
    parser.add_argument("--out", type=Path, default=FIXTURES)
    args = parser.parse_args()
    charts: Path = args.charts

    operator = yaml.safe_load((charts / "gpu-operator/values.yaml").read_text())
    nfd = yaml.safe_load((charts / "gpu-operator/charts/node-feature-discovery/values.yaml").read_text())
    # The parent's `node-feature-discovery:` block is merged over the subchart's defaults.
    operator["node-feature-discovery"] = deep_merge(nfd, operator.get("node-feature-discovery", {}))
    source = (provenance(charts, "gpu-operator/values.yaml") + " + "
              + provenance(charts, "gpu-operator/charts/node-feature-discovery/values.yaml"))
    doc = skeleton("gpu-operator", operator, source, chart_version(charts, "gpu-operator"))
    (args.out / "gpu-operator-keys.json").write_text(json.dumps(doc, indent=1) + "\n")

    text = (charts / "cluster-autoscaler/values.yaml").read_text()
    doc = skeleton("cluster-autoscaler", yaml.safe_load(text), provenance(charts, "cluster-autoscaler/values.yaml"),
                   chart_version(charts, "cluster-autoscaler"))
    doc["flags"] = {"extraArgs": sorted(set(commented_extra_args(text)) | set(EXTRA_CA_FLAGS)
                                        | set(yaml.safe_load(text)["extraArgs"]))}
    (args.out / "cluster-autoscaler-keys.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
