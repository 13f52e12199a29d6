"""VPC layout settings."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Settings

MAX_AZS = 3
# AWS services the private subnets can reach through interface endpoints (com.amazonaws.<region>.<name>).
InterfaceEndpoint = Literal["ecr.api", "ecr.dkr", "sts"]


class NetworkSettings(Settings):
    vpc_cidr: str = Field(default="10.0.0.0/16", description="Private IPv4 range of the VPC (/16 to /20); three quarters go to private subnets, one to public.")
    az_count: int = Field(default=2, ge=2, le=MAX_AZS, description="Availability zones used; prod needs 3.")
    nat_gateways: Literal["single", "per_az"] = Field(default="single", description="single: one NAT gateway (cheap; one AZ failure stops egress); per_az: one per AZ (prod).")
    flow_logs: bool = Field(default=True, description="VPC flow logs of rejected traffic to CloudWatch.")
    flow_logs_retention_days: int = Field(
        default=30, ge=1,
        description="Days the VPC flow logs are kept in CloudWatch: 30 in dev, 90 in staging, 365 in prod "
                    "(prod keeps at least a year, for incident investigation and audit).")
    s3_gateway_endpoint: bool = Field(
        default=True,
        description="An S3 gateway endpoint on the private route tables: S3 traffic (model artifacts, datasets, "
                    "and the image layers ECR serves from S3) skips the NAT gateways and their per-GB charge. "
                    "Free; keep it on.")
    interface_endpoints: list[InterfaceEndpoint] = Field(
        default_factory=list,
        description="Interface endpoints in every private subnet, with private DNS: `ecr.api`, `ecr.dkr` (image "
                    "pulls from ECR without NAT; layers still come from S3) and `sts` (IRSA token exchange). Each "
                    "costs an hourly fee per AZ plus a per-GB fee (the plan's cost table shows both); they pay off "
                    "for private subnets without NAT, for very large ECR API traffic, or to keep these calls off "
                    "the internet path. Default: none.")

    @field_validator("interface_endpoints")
    @classmethod
    def _unique_endpoints(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("an interface endpoint is listed twice. Fix: list each service once.")
        return value

    @field_validator("vpc_cidr")
    @classmethod
    def _valid_cidr(cls, value: str) -> str:
        try:
            net = ipaddress.ip_network(value, strict=True)
        except ValueError as err:
            raise ValueError(
                f"'{value}' is not a valid IPv4 network ({err}). Fix: use a network address such as 10.0.0.0/16."
            ) from None
        if net.version != 4:
            raise ValueError(f"'{value}' is not IPv4. Fix: use an IPv4 range such as 10.0.0.0/16.")
        if not 16 <= net.prefixlen <= 20:
            raise ValueError(
                f"prefix /{net.prefixlen} is out of range. Fix: use a /16 to /20 so that each AZ gets "
                "room for pods (the VPC CNI gives every pod a VPC address)."
            )
        if not net.is_private:
            raise ValueError(f"'{value}' is not a private range. Fix: use RFC 1918 space such as 10.0.0.0/16.")
        return value

    def private_subnet_cidrs(self) -> list[str]:
        """One large subnet per AZ for nodes and pods: the first three quarters of the VPC."""
        net = ipaddress.IPv4Network(self.vpc_cidr)
        quarters = list(net.subnets(new_prefix=net.prefixlen + 2))
        return [str(q) for q in quarters[: self.az_count]]

    def public_subnet_cidrs(self) -> list[str]:
        """Small subnets per AZ for load balancers and NAT, carved from the last quarter."""
        net = ipaddress.IPv4Network(self.vpc_cidr)
        last_quarter = list(net.subnets(new_prefix=net.prefixlen + 2))[-1]
        return [str(s) for s in list(last_quarter.subnets(new_prefix=net.prefixlen + 6))[: self.az_count]]

    @model_validator(mode="after")
    def _subnets_fit(self) -> NetworkSettings:
        self.private_subnet_cidrs()
        return self
