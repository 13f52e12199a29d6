"""gpu-helm-release-tolerations: the GPU operator's release tolerates the GPU taint."""

import pulumi
import pytest
from harness import UNKNOWN, resource, violations

POLICY = "gpu-helm-release-tolerations"
RELEASE = "kubernetes:helm.sh/v3:Release"
TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def release(chart="gpu-operator", values=None, **props):
    return resource(RELEASE, {"chart": chart, "namespace": "gpu-operator", "version": "v24.9.0",
                              "values": values if values is not None else good_values(), **props}, name="gpu-operator")


def good_values(daemonsets=(TOLERATION,), nfd=(TOLERATION,)):
    return {"driver": {"enabled": False},
            "daemonsets": {"tolerations": list(daemonsets)},
            "node-feature-discovery": {"worker": {"tolerations": list(nfd)}}}


@pytest.mark.parametrize("chart", ["gpu-operator", "nvidia/gpu-operator", "oci://ghcr.io/nvidia/gpu-operator"])
def test_tolerating_release_passes(chart):
    assert violations(POLICY, release(chart)) == []


def test_missing_daemonset_tolerations_fail():
    values = good_values()
    del values["daemonsets"]
    found = violations(POLICY, release(values=values))
    assert len(found) == 1 and "values.daemonsets.tolerations is not set" in found[0]


def test_non_matching_nfd_tolerations_fail():
    found = violations(POLICY, release(values=good_values(nfd=[{"key": "spot", "operator": "Exists"}])))
    assert len(found) == 1 and "node-feature-discovery.worker.tolerations does not tolerate" in found[0]


def test_no_values_reports_both_paths():
    assert len(violations(POLICY, release(values={}))) == 2


def test_catch_all_toleration_passes():
    assert violations(POLICY, release(values=good_values([{"operator": "Exists"}], [{"operator": "Exists"}]))) == []


def test_other_charts_are_ignored_unless_configured():
    plain = release("ingress-nginx", values={})
    assert violations(POLICY, plain) == []
    dcgm = release("dcgm-exporter", values={"tolerations": []})
    found = violations(POLICY, dcgm, config={"gpuCharts": ["gpu-operator", "dcgm-exporter"]})
    assert len(found) == 1 and "values.tolerations" in found[0]


def test_value_files_are_merged_under_values():
    files = [pulumi.StringAsset("daemonsets:\n  tolerations:\n    - {key: nvidia.com/gpu, operator: Exists}\n")]
    values = good_values()
    del values["daemonsets"]
    assert violations(POLICY, release(values=values, valueYamlFiles=files)) == []
    # `values` wins over the files, and lists replace rather than merge
    values["daemonsets"] = {"tolerations": []}
    assert violations(POLICY, release(values=values, valueYamlFiles=files))


def test_unreadable_value_files_are_not_violations():
    files = [pulumi.FileAsset("/nonexistent/values.yaml")]
    values = good_values()
    del values["daemonsets"]
    assert violations(POLICY, release(values=values, valueYamlFiles=files)) == []


def test_unknowns_are_not_violations():
    assert violations(POLICY, release(chart=UNKNOWN, values={})) == []
    assert violations(POLICY, release(values=UNKNOWN)) == []
    assert violations(POLICY, release(values=good_values(daemonsets=[UNKNOWN]))) == []
