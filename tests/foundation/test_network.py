"""Network: subnet layout and tags (pure), and the planned VPC of each stack (mocks)."""

from __future__ import annotations

import json

from components.network import AVAILABILITY_ZONE_FILTERS, flow_logs_policy, nat_gateway_count, subnet_tags
from domain.settings.network import NetworkSettings
from tests.conftest import evaluate_stack


def test_subnet_tags_for_load_balancers():
    assert subnet_tags("c1", public=True) == {"kubernetes.io/role/elb": "1", "kubernetes.io/cluster/c1": "shared"}
    assert subnet_tags("c1", public=False) == {"kubernetes.io/role/internal-elb": "1",
                                               "kubernetes.io/cluster/c1": "shared"}


def test_nat_count():
    assert nat_gateway_count(NetworkSettings(az_count=3, nat_gateways="single")) == 1
    assert nat_gateway_count(NetworkSettings(az_count=3, nat_gateways="per_az")) == 3


def test_flow_logs_policy_is_scoped_to_its_log_group():
    doc = json.loads(flow_logs_policy("arn:aws:logs:us-west-2:1:log-group:x"))
    assert all(r != "*" for s in doc["Statement"] for r in s["Resource"])


def test_subnets_and_nat_per_stack(stack_eval):
    s = stack_eval.settings
    subnets = stack_eval.of_type("aws:ec2/subnet:Subnet")
    public = [r for r in subnets if "kubernetes.io/role/elb" in r.inputs["tags"]]
    private = [r for r in subnets if "kubernetes.io/role/internal-elb" in r.inputs["tags"]]
    assert len(public) == len(private) == s.network.az_count
    # Regular AZs only: the mocks answer like an account opted into a Local Zone (which sorts first).
    assert {r.inputs["availabilityZone"] for r in private} == {f"us-west-2{c}" for c in "abc"[: s.network.az_count]}
    for r in subnets:
        assert r.inputs["tags"][f"kubernetes.io/cluster/{s.cluster_name}"] == "shared"
        assert not r.inputs.get("mapPublicIpOnLaunch")
    nats = stack_eval.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == (3 if s.environment == "prod" else 1)
    routes = [r for r in stack_eval.of_type("aws:ec2/route:Route") if r.inputs.get("natGatewayId")]
    assert len(routes) == s.network.az_count


def test_vpc_has_dns_and_flow_logs(stack_eval):
    vpc = stack_eval.of_type("aws:ec2/vpc:Vpc")[0]
    assert vpc.inputs["enableDnsHostnames"] and vpc.inputs["enableDnsSupport"]
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"
    assert len(stack_eval.of_type("aws:ec2/flowLog:FlowLog")) == 1
    assert len(stack_eval.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")) == 1


def test_every_aws_resource_is_tagged_through_the_provider():
    ev = evaluate_stack("dev")
    provider = ev.of_type("pulumi:providers:aws")[0]
    tags = json.loads(provider.inputs["defaultTags"])["tags"] if isinstance(provider.inputs["defaultTags"], str) \
        else provider.inputs["defaultTags"]["tags"]
    assert tags["environment"] == "dev" and tags["managed-by"] == "pulumi"
    assert provider.inputs["region"] == "us-west-2"


def test_availability_zones_exclude_local_and_wavelength_zones():
    assert AVAILABILITY_ZONE_FILTERS == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
