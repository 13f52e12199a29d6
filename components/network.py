"""VPC with public and private subnets per AZ, NAT egress, flow logs and the tags EKS needs."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from domain.settings.network import NetworkSettings


def subnet_tags(cluster_name: str, public: bool) -> dict[str, str]:
    """Tags the AWS Load Balancer Controller and EKS use to discover subnets."""
    role = "kubernetes.io/role/elb" if public else "kubernetes.io/role/internal-elb"
    return {role: "1", f"kubernetes.io/cluster/{cluster_name}": "shared"}


# Regular Availability Zones only: Local Zones and Wavelength Zones the account opted into are listed too
# (`opt-in-status` opted-in), lack most instance types and services, and would sort first ("us-west-2-lax-1a").
# Filter from the provider's docs (get_availability_zones, "Only Availability Zones (no Local Zones)").
AVAILABILITY_ZONE_FILTERS: list[aws.GetAvailabilityZonesFilterArgsDict] = [
    {"name": "opt-in-status", "values": ["opt-in-not-required"]}]


HTTPS = 443


def endpoint_service(region: str, service: str) -> str:
    """The VPC endpoint service name of an AWS service in a region (com.amazonaws.<region>.<service>)."""
    return f"com.amazonaws.{region}.{service}"


def nat_gateway_count(settings: NetworkSettings) -> int:
    return settings.az_count if settings.nat_gateways == "per_az" else 1


def flow_logs_trust_policy() -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                       "Action": "sts:AssumeRole"}],
    })


def flow_logs_policy(log_group_arn: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow",
                       "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                       "Resource": [log_group_arn, f"{log_group_arn}:*"]}],
    })


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, settings: NetworkSettings, cluster_name: str, region: str,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        azs = aws.get_availability_zones_output(state="available", filters=AVAILABILITY_ZONE_FILTERS,
                                                opts=pulumi.InvokeOutputOptions(parent=self))

        vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=settings.vpc_cidr, enable_dns_hostnames=True,
                          enable_dns_support=True, tags={"Name": f"{cluster_name}-vpc"}, opts=child)
        # Strip the default security group of all rules, so nothing lands in it by accident.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, tags={"Name": f"{cluster_name}-default-deny"},
                                     opts=child)
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": f"{cluster_name}-igw"}, opts=child)

        public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id, tags={"Name": f"{cluster_name}-public"},
                                       opts=child)
        aws.ec2.Route(f"{name}-public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0",
                      gateway_id=igw.id, opts=child)

        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        for i, (pub_cidr, priv_cidr) in enumerate(zip(settings.public_subnet_cidrs(), settings.private_subnet_cidrs(), strict=False)):
            az = azs.names[i]
            pub = aws.ec2.Subnet(f"{name}-public-{i}", vpc_id=vpc.id, cidr_block=pub_cidr, availability_zone=az,
                                 map_public_ip_on_launch=False,
                                 tags={"Name": f"{cluster_name}-public-{i}", **subnet_tags(cluster_name, True)},
                                 opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-public-{i}", subnet_id=pub.id, route_table_id=public_rt.id, opts=child)
            public_subnets.append(pub)
            priv = aws.ec2.Subnet(f"{name}-private-{i}", vpc_id=vpc.id, cidr_block=priv_cidr, availability_zone=az,
                                  tags={"Name": f"{cluster_name}-private-{i}", **subnet_tags(cluster_name, False)},
                                  opts=child)
            private_subnets.append(priv)

        nats = []
        for i in range(nat_gateway_count(settings)):
            eip = aws.ec2.Eip(f"{name}-nat-{i}", domain="vpc", tags={"Name": f"{cluster_name}-nat-{i}"}, opts=child)
            nats.append(aws.ec2.NatGateway(f"{name}-nat-{i}", allocation_id=eip.allocation_id,
                                           subnet_id=public_subnets[i].id, tags={"Name": f"{cluster_name}-nat-{i}"},
                                           opts=pulumi.ResourceOptions(parent=self, depends_on=[igw])))
        private_route_tables = []
        for i, priv in enumerate(private_subnets):
            rt = aws.ec2.RouteTable(f"{name}-private-rt-{i}", vpc_id=vpc.id,
                                    tags={"Name": f"{cluster_name}-private-{i}"}, opts=child)
            private_route_tables.append(rt)
            # With one NAT, every AZ egresses through it; per_az keeps egress inside the AZ.
            aws.ec2.Route(f"{name}-private-default-{i}", route_table_id=rt.id, destination_cidr_block="0.0.0.0/0",
                          nat_gateway_id=nats[i % len(nats)].id, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-{i}", subnet_id=priv.id, route_table_id=rt.id, opts=child)

        self.endpoints = self._endpoints(name, settings, cluster_name, region, vpc.id,
                                         [rt.id for rt in private_route_tables], [s.id for s in private_subnets])

        if settings.flow_logs:
            log_group = aws.cloudwatch.LogGroup(f"{name}-flow-logs", name=f"/aws/vpc/{cluster_name}/flow-logs",
                                                retention_in_days=settings.flow_logs_retention_days, opts=child)
            role = aws.iam.Role(f"{name}-flow-logs", assume_role_policy=flow_logs_trust_policy(), opts=child)
            aws.iam.RolePolicy(f"{name}-flow-logs", role=role.id, policy=log_group.arn.apply(flow_logs_policy),
                               opts=child)
            aws.ec2.FlowLog(f"{name}-flow-logs", vpc_id=vpc.id, traffic_type="REJECT",
                            log_destination=log_group.arn, iam_role_arn=role.arn, opts=child)

        self.vpc_id = vpc.id
        self.vpc_cidr = settings.vpc_cidr
        self.private_subnet_ids = [s.id for s in private_subnets]
        self.public_subnet_ids = [s.id for s in public_subnets]
        self.register_outputs({"vpc_id": self.vpc_id, "private_subnet_ids": self.private_subnet_ids,
                               "public_subnet_ids": self.public_subnet_ids})

    def _endpoints(self, name: str, settings: NetworkSettings, cluster_name: str, region: str,
                   vpc_id: pulumi.Output[str], route_table_ids: list[pulumi.Output[str]],
                   subnet_ids: list[pulumi.Output[str]]) -> list[aws.ec2.VpcEndpoint]:
        """The S3 gateway endpoint and the interface endpoints the settings ask for (NetworkSettings)."""
        child = pulumi.ResourceOptions(parent=self)
        endpoints = []
        if settings.s3_gateway_endpoint:
            endpoints.append(aws.ec2.VpcEndpoint(
                f"{name}-s3", vpc_id=vpc_id, service_name=endpoint_service(region, "s3"), vpc_endpoint_type="Gateway",
                route_table_ids=route_table_ids, tags={"Name": f"{cluster_name}-s3"}, opts=child))
        if settings.interface_endpoints:
            group = aws.ec2.SecurityGroup(
                f"{name}-endpoints", vpc_id=vpc_id, description=f"{cluster_name} interface endpoints: HTTPS from the VPC",
                tags={"Name": f"{cluster_name}-endpoints"}, opts=child)
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-endpoints-https", security_group_id=group.id, ip_protocol="tcp", from_port=HTTPS,
                to_port=HTTPS, cidr_ipv4=settings.vpc_cidr, description="HTTPS from the VPC", opts=child)
            for service in settings.interface_endpoints:
                endpoints.append(aws.ec2.VpcEndpoint(
                    f"{name}-{service.replace('.', '-')}", vpc_id=vpc_id, service_name=endpoint_service(region, service),
                    vpc_endpoint_type="Interface", subnet_ids=subnet_ids, security_group_ids=[group.id],
                    private_dns_enabled=True, tags={"Name": f"{cluster_name}-{service}"}, opts=child))
        return endpoints
