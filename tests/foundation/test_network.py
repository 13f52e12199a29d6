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


def test_s3_gateway_endpoint_on_every_private_route_table(stack_eval):
    (s3,) = stack_eval.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert s3.inputs["serviceName"] == f"com.amazonaws.{stack_eval.settings.region}.s3"
    assert s3.inputs["vpcEndpointType"] == "Gateway"
    private_tables = {r.urn for r in stack_eval.of_type("aws:ec2/routeTable:RouteTable") if "-private-rt-" in r.name}
    assert len(s3.inputs["routeTableIds"]) == len(private_tables) == stack_eval.settings.network.az_count


def test_interface_endpoints_with_private_dns_and_https_from_the_vpc_only():
    ev = evaluate_stack("prod", {"network": {"interfaceEndpoints": ["ecr.api", "ecr.dkr", "sts"]}})
    interface = {r.inputs["serviceName"]: r for r in ev.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                 if r.inputs["vpcEndpointType"] == "Interface"}
    assert set(interface) == {f"com.amazonaws.us-west-2.{s}" for s in ("ecr.api", "ecr.dkr", "sts")}
    for endpoint in interface.values():
        assert endpoint.inputs["privateDnsEnabled"] is True and len(endpoint.inputs["subnetIds"]) == 3
    (rule,) = [r for r in ev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if r.name == "network-endpoints-https"]
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["cidrIpv4"]) == (443, 443, "10.0.0.0/16")


def test_an_interface_endpoint_listed_twice_is_rejected():
    import pytest

    from domain.settings import SettingsError, load_settings
    with pytest.raises(SettingsError, match="interfaceEndpoints"):
        load_settings("dev", {"network": {"interfaceEndpoints": ["sts", "sts"]}})
