"""Cost arithmetic on known pools, and the price table's coverage."""

from __future__ import annotations

import pytest

from domain import catalog
from domain.settings import load_settings
from stacks.offline import PlannedResource
from stacks.review.cost import PriceError, estimate, load_prices, nodes_at_rest
from tests.conftest import evaluate_stack

PRICES = {
    "date": "2000-01-01", "hoursPerMonth": 100, "spotDiscount": 0.5,
    "regions": {"us-west-2": {
        "ec2": {"m6i.large": 1.0, "m6i.xlarge": 2.0, "g5.xlarge": 10.0, "m6i.2xlarge": 4.0, "r6i.large": 3.0},
        "rds": {"db.t4g.micro": 0.5}, "eksControlPlanePerHour": 0.1, "natGatewayPerHour": 0.05, "albPerHour": 0.02,
        "ebsGp3PerGibMonth": 0.0, "rdsGp3PerGibMonth": 0.1, "s3StandardPerGibMonth": 0.02, "kmsKeyPerMonth": 1.0}},
}


def res(typ: str, **inputs) -> PlannedResource:
    return PlannedResource(urn=f"urn:{typ}", type=typ, name="r", inputs=inputs, masked_inputs=inputs, outputs={})


def line(report, item):
    return next(x for x in report.lines if x.item == item)


def test_pool_costs_at_min_and_max():
    s = load_settings("dev", {"nodePools": [{"name": "system", "instanceTypes": ["m6i.large"]}]})
    r = estimate(s, [], PRICES)
    assert (line(r, "pool system").idle, line(r, "pool system").peak) == (100.0, 300.0)  # 1..3 x $1 x 100 h
    assert (line(r, "pool gpu").idle, line(r, "pool gpu").peak) == (0.0, 2000.0)  # 0..2 x $10 x 100 h
    assert line(r, "pool spot").peak == 5 * 4.0 * 100 * 0.5  # spot discount applied


def test_pools_hosting_services_keep_a_node_at_rest():
    s = load_settings("dev", {"nodePools": [{"name": "system", "instanceTypes": ["m6i.large"]}]})
    assert nodes_at_rest(s) == {"system": 1, "cpu": 1, "gpu": 0, "spot": 0, "monitoring": 1}
    r = estimate(s, [], PRICES)
    assert line(r, "pool cpu").idle == 200.0 and "services keep 1" in line(r, "pool cpu").detail
    off = load_settings("dev", {"services": {n: {"enabled": False} for n in ("keycloak", "mlflow", "zenml", "lakefs")}})
    assert nodes_at_rest(off)["cpu"] == 0


def test_fixed_costs_and_totals():
    s = load_settings("dev", {})
    resources = [res("aws:ec2/natGateway:NatGateway"), res("aws:ec2/natGateway:NatGateway"),
                 res("aws:rds/instance:Instance", instanceClass="db.t4g.micro", multiAz=True, allocatedStorage=20.0,
                     identifier="db", engine="postgres"),
                 res("aws:s3/bucketV2:BucketV2"), res("aws:kms/key:Key"),
                 res("kubernetes:networking.k8s.io/v1:Ingress")]
    r = estimate(s, resources, PRICES)
    assert line(r, "EKS control plane").idle == 10.0
    assert line(r, "NAT gateways").idle == 10.0
    assert line(r, "RDS db").idle == 2 * (0.5 * 100 + 20 * 0.1)  # multi-AZ doubles instance and storage
    assert line(r, "S3 baseline").idle == 50 * 0.02
    assert line(r, "load balancers").idle == 2.0
    assert r.idle_total == round(sum(x.idle for x in r.lines), 2)
    assert r.peak_total >= r.idle_total


def test_unknown_region_or_type_names_the_fix():
    s = load_settings("dev", {}, region="ap-south-1")
    with pytest.raises(PriceError, match="no prices for region ap-south-1"):
        estimate(s, [], PRICES)


def test_price_table_is_dated_and_covers_the_catalog():
    prices = load_prices()
    assert prices["date"] and 0 < prices["spotDiscount"] < 1
    for region, table in prices["regions"].items():
        missing = [t for t in catalog.INSTANCE_TYPES if t not in table["ec2"]]
        assert not missing, f"{region} lacks {missing}"


def test_dev_idle_cost_is_small_and_prod_costs_more():
    dev = estimate(evaluate_stack("dev").settings, evaluate_stack("dev").resources)
    prod = estimate(evaluate_stack("prod").settings, evaluate_stack("prod").resources)
    assert dev.idle_total < prod.idle_total
    assert dev.idle_total < 1000


def test_readme_states_devs_idle_total():
    from pathlib import Path

    dev = evaluate_stack("dev")
    idle = estimate(dev.settings, dev.resources).idle_total
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert f"about ${round(idle):,}/month" in readme, f"README should state dev's idle total, ${idle:,.2f}"


def endpoint_lines(report):
    return {line.item: line for line in report.lines if line.item in ("NAT data processing", "VPC endpoints")}


def test_the_s3_gateway_endpoint_takes_s3_off_the_nat_bill():
    from stacks.review.cost import TRAFFIC_GB
    with_gateway = endpoint_lines(estimate(evaluate_stack("dev").settings, evaluate_stack("dev").resources))
    ev = evaluate_stack("dev", {"network": {"s3GatewayEndpoint": False}})
    without = endpoint_lines(estimate(ev.settings, ev.resources))
    assert "VPC endpoints" not in without
    assert with_gateway["VPC endpoints"].idle == 0 and "s3 gateway (free)" in with_gateway["VPC endpoints"].detail
    s3_rest, s3_peak = TRAFFIC_GB["s3"]
    for at, gb in (("peak", s3_peak), ("idle", s3_rest)):
        saved = getattr(without["NAT data processing"], at) - getattr(with_gateway["NAT data processing"], at)
        assert saved == pytest.approx(gb * 0.045, abs=0.011)  # $0.045/GB NAT processing (aws.amazon.com/vpc/pricing)
    assert "avoid $4..$90" in with_gateway["NAT data processing"].detail


def test_interface_endpoints_cost_per_az_hour_and_per_gb():
    ev = evaluate_stack("prod", {"network": {"interfaceEndpoints": ["ecr.api", "ecr.dkr", "sts"]}})
    line = endpoint_lines(estimate(ev.settings, ev.resources))["VPC endpoints"]
    assert "ecr.api, ecr.dkr, sts interface x 3 AZs" in line.detail
    hourly = 3 * 3 * 0.01 * 730  # endpoints x AZs x $/AZ-hour x hours (aws.amazon.com/privatelink/pricing)
    assert line.idle == round(hourly + (1 + 1 + 1) * 0.01, 2)
    assert line.peak == round(hourly + (10 + 10 + 5) * 0.01, 2)


def test_a_region_without_network_prices_says_so():
    ev = evaluate_stack("dev", {"aws:region": "eu-west-1"})
    lines = endpoint_lines(estimate(ev.settings, ev.resources))
    assert "no price for this region" in lines["NAT data processing"].detail
    assert lines["NAT data processing"].idle == 0
