"""Day two on a live platform: Kubernetes upgrades reach the nodes, resizes keep running work, and pods
with zonal volumes always come back in their volume's zone (issue 15, sections 1 to 3)."""

from __future__ import annotations

import json

import pytest

from components.node_pools import GroupSpec, desired_size, generated_name_pattern, group_specs
from domain.settings import SettingsError, load_settings
from domain.versions import KUBERNETES_RELEASES, KUBERNETES_VERSION
from stacks.offline import GENERATED_SUFFIX, evaluate, live_node_groups, read_stack_config
from stacks.plan import upgrade_review, with_cluster_version
from stacks.review.changes import MANAGED_NODE_GROUP, STATEFUL_TYPES, diff_plans, roll_order
from stacks.review.zonal import zonal_claims, zonal_problems
from tests.conftest import evaluate_stack

NEXT = "1.35"


def node_groups(ev):
    return {r.name: r for r in ev.of_type(MANAGED_NODE_GROUP)}


# 1. Upgrades -------------------------------------------------------------------------------------------

def test_every_node_group_carries_the_cluster_version(stack_eval):
    """pulumi-eks sets `version` only without a launch template; every pool has one, so we set it."""
    for group in node_groups(stack_eval).values():
        assert group.inputs["version"] == stack_eval.settings.cluster.version
        assert "releaseVersion" not in group.inputs  # unpinned: the latest AMI release of the version


def test_a_pinned_ami_release_reaches_its_pool():
    ev = evaluate_stack("dev", {"nodePools": [{"name": "gpu", "releaseVersion": "1.34.2-20251120"}]})
    groups = node_groups(ev)
    assert groups["pools-gpu"].inputs["releaseVersion"] == "1.34.2-20251120"
    assert "releaseVersion" not in groups["pools-cpu"].inputs


def test_an_ami_release_of_another_version_is_a_settings_error():
    with pytest.raises(SettingsError) as err:
        load_settings("dev", {"nodePools": [{"name": "gpu", "releaseVersion": "1.33.5-20251120"}]})
    assert "nodePools[gpu].releaseVersion" in str(err.value) and "1.34" in str(err.value)
    with pytest.raises(SettingsError) as err:
        load_settings("dev", {"nodePools": [{"name": "gpu", "releaseVersion": "latest"}]})
    assert "nodePools[gpu].releaseVersion" in str(err.value)


def test_the_upgrade_policy_is_explicit(stack_eval):
    (cluster,) = stack_eval.of_type("eks:index:Cluster")
    assert cluster.inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    ev = evaluate_stack("dev", {"cluster": {"upgradePolicy": "EXTENDED"}})
    assert ev.of_type("eks:index:Cluster")[0].inputs["upgradePolicy"] == {"supportType": "EXTENDED"}


def test_a_version_bump_takes_the_pins_of_that_version():
    s = load_settings("dev", {"cluster": {"version": NEXT}})
    assert s.cluster.addon_versions == KUBERNETES_RELEASES[NEXT].addons
    assert s.cluster.addon_versions["kube-proxy"].startswith(f"v{NEXT}.")


def test_a_version_without_pins_is_an_error_naming_the_keys():
    with pytest.raises(SettingsError) as err:
        load_settings("dev", {"cluster": {"version": "1.36"}})
    message = str(err.value)
    assert "mlplatform:cluster" in message and "cluster.version 1.36" in message
    for addon in ("vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "eks-pod-identity-agent"):
        assert f"cluster.addonVersions.{addon}" in message
    assert "KUBERNETES_RELEASES" in message


def test_a_kube_proxy_pin_of_another_minor_is_an_error():
    with pytest.raises(SettingsError) as err:
        load_settings("dev", {"cluster": {"version": NEXT, "addonVersions": {"kube-proxy": "v1.34.1-eksbuild.2"}}})
    assert "cluster.addonVersions.kube-proxy v1.34.1-eksbuild.2 is built for Kubernetes 1.34" in str(err.value)


def test_every_release_pins_the_autoscaler_of_its_own_minor_and_every_addon():
    for version, release in KUBERNETES_RELEASES.items():
        assert release.autoscaler_image.rsplit(":", 1)[1].startswith(f"v{version}.")
        assert release.addons["kube-proxy"].startswith(f"v{version}.")
        assert set(release.addons) == set(KUBERNETES_RELEASES[KUBERNETES_VERSION].addons)
        assert set(release.unverified) <= set(release.addons)


@pytest.fixture(scope="module")
def prod_upgrade():
    config, secrets = read_stack_config("prod")
    deployed = live_node_groups(evaluate_stack("prod"))  # prod is live: its node groups exist
    before = evaluate("prod", config, secrets, live_node_groups=deployed)
    after = evaluate("prod", with_cluster_version(config, NEXT), secrets, live_node_groups=deployed)
    return before, after, diff_plans(before.resources, after.resources)


def test_upgrading_prod_replaces_nothing_and_leaves_data_alone(prod_upgrade):
    before, after, diff = prod_upgrade
    assert not diff.added and not diff.removed and not diff.replaced
    assert [c.name for c in diff.changed if c.type in STATEFUL_TYPES] == []
    (cluster,) = diff.of_type("eks:index:Cluster")
    assert set(cluster.keys) == {"version", "kubeProxyAddonOptions"}
    # Every node group of every pool is upgraded, and only its version changes.
    groups = diff.of_type(MANAGED_NODE_GROUP)
    assert len(groups) == len(after.of_type(MANAGED_NODE_GROUP)) == 4 + 3  # monitoring: one group per AZ
    assert {c.keys for c in groups} == {("version",)}
    # CoreDNS is its own add-on (components/coredns.py), pinned per Kubernetes version like kube-proxy.
    assert {c.name for c in diff.changed} - {c.name for c in groups} == {"cluster", "gpu-autoscaler", "coredns"}


def test_upgrading_rolls_the_system_pool_first(prod_upgrade):
    _, after, diff = prod_upgrade
    waves = roll_order(after.resources, diff.changed)
    assert waves[0] == ["pools-system"]
    assert len(waves) == 2 and "pools-gpu" in waves[1]


def test_a_new_stack_creates_its_pools_in_parallel():
    """The system-first order needs a live system pool: creation does not pay for it."""
    ev = evaluate_stack("prod")
    system = next(g.urn for g in ev.of_type(MANAGED_NODE_GROUP) if g.name == "pools-system")
    assert all(system not in g.all_dependencies for g in ev.of_type(MANAGED_NODE_GROUP))


def test_the_upgrade_review_prints_the_figures():
    text = upgrade_review("dev", NEXT)
    assert "Kubernetes 1.34 -> 1.35: 9 resources updated (0 replaced), 0 added, 0 removed" in text
    assert "1. pools-system" in text
    assert "not verified" in text  # the carried-over pins are visible


# 2. Resizes --------------------------------------------------------------------------------------------

def live_name(prefix: str) -> str:
    """A node group name as the AWS provider generates it from a prefix."""
    return prefix + GENERATED_SUFFIX


def test_generated_names_match_only_their_own_pool():
    assert generated_name_pattern("c-gpu-").fullmatch(live_name("c-gpu-"))
    assert not generated_name_pattern("c-gpu-").fullmatch(live_name("c-gpu-large-"))
    assert not generated_name_pattern("c-monitoring-").fullmatch(live_name("c-monitoring-az1-"))


def test_desired_size_is_the_live_one_within_the_new_bounds():
    spec = GroupSpec("", (0, 1, 2), min_size=1, initial_size=1, max_size=8)
    assert desired_size(spec, []) == 1  # a new group starts at its initial size
    assert desired_size(spec, [6]) == 6  # the autoscaler's size is kept
    assert desired_size(spec, [0]) == 1  # raising minSize lifts it
    assert desired_size(spec, [12]) == 8  # lowering maxSize caps it
    assert desired_size(spec, [3, 5]) == 5  # during a replacement, the larger group


def test_raising_min_size_keeps_a_gpu_pool_the_autoscaler_grew():
    """The GPU pool of staging runs 3 nodes (the autoscaler grew it from 0); minSize goes 0 -> 1, maxSize 4 -> 6.
    pulumi-eks's ignoreScalingChanges would send the desired size stored at creation (0 -> then 1) and drain
    two training nodes; the group gets the live 3 instead, and no ignoreChanges substitutes a stale one."""
    config, secrets = read_stack_config("staging")
    pools = json.loads(config.get("mlplatform:nodePools", "[]"))
    config["mlplatform:nodePools"] = json.dumps([*pools, {"name": "gpu", "minSize": 1, "maxSize": 6}])
    live = {live_name("mlplatform-staging-gpu-"): 3, live_name("mlplatform-staging-cpu-"): 2}
    ev = evaluate("staging", config, secrets, live_node_groups=live)
    groups = node_groups(ev)
    assert groups["pools-gpu"].inputs["scalingConfig"] == {"minSize": 1, "desiredSize": 3, "maxSize": 6}
    assert groups["pools-cpu"].inputs["scalingConfig"]["desiredSize"] == 2
    for group in groups.values():
        assert group.inputs["ignoreScalingChanges"] is False and group.ignore_changes == []
    # A pool with no live group yet (a new pool) starts at its initial size.
    assert groups["pools-spot"].inputs["scalingConfig"]["desiredSize"] == ev.settings.pool("spot").initial_size


# 3. Zonal volumes --------------------------------------------------------------------------------------

def test_per_az_pools_split_their_sizes():
    s = load_settings("prod", {})
    monitoring = s.pool("monitoring")
    specs = group_specs(monitoring, 3)
    assert [g.subnets for g in specs] == [(0,), (1,), (2,)]
    assert sum(g.min_size for g in specs) == monitoring.min_size
    assert all(g.max_size >= 1 for g in specs)
    assert group_specs(s.pool("gpu"), 3) == [GroupSpec("", (0, 1, 2), 0, 0, s.pool("gpu").max_size)]


def test_every_pod_with_a_zonal_volume_can_come_back_in_its_zone(stack_eval):
    claims = zonal_claims(stack_eval.resources)
    assert {c.pool for c in claims} == {stack_eval.settings.observability.pool}
    assert len(claims) == 2  # Prometheus and Alertmanager
    assert zonal_problems(stack_eval.resources, stack_eval.settings.network.az_count) == []


def test_the_zonal_check_catches_a_pool_across_zones_and_an_unbalanced_autoscaler():
    ev = evaluate_stack("staging")
    monitoring = [r for r in ev.resources if r.name.startswith("pools-monitoring-az")]
    # One group spanning all AZs, as before issue 15: rebuild the plan with a single group of three subnets.
    merged = type(monitoring[0])(**{**monitoring[0].__dict__, "inputs": {
        **monitoring[0].inputs, "subnetIds": [s for g in monitoring for s in g.inputs["subnetIds"]]}})
    broken = [r for r in ev.resources if r not in monitoring] + [merged]
    problems = zonal_problems(broken, 3)
    assert len(problems) == 2  # Prometheus and Alertmanager
    assert all("pool 'monitoring' has 1 node group(s)" in p and "another AZ" in p for p in problems)
    release = next(r for r in ev.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "cluster-autoscaler")
    values = {**release.inputs["values"], "extraArgs": {**release.inputs["values"]["extraArgs"],
                                                        "balance-similar-node-groups": "false"}}
    unbalanced = [r for r in ev.resources if r is not release] + [
        type(release)(**{**release.__dict__, "inputs": {**release.inputs, "values": values}})]
    assert zonal_problems(unbalanced, 3) == [
        "cluster-autoscaler: --balance-similar-node-groups is off, so the per-AZ groups of ['monitoring'] drift apart."]


def test_a_monitoring_pool_across_zones_is_a_settings_error():
    with pytest.raises(SettingsError) as err:
        load_settings("prod", {"nodePools": [{"name": "monitoring", "perAz": False}]})
    assert "mlplatform:nodePools[monitoring].perAz" in str(err.value)
