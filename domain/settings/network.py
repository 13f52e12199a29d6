"""VPC layout settings."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Settings

MAX_AZS = 3


class NetworkSettings(Settings):
    vpc_cidr: str = "10.0.0.0/16"
    az_count: int = Field(default=2, ge=2, le=MAX_AZS)
    # "single": one NAT gateway (cheap, one AZ failure stops egress); "per_az": one per AZ.
    nat_gateways: Literal["single", "per_az"] = "single"
    flow_logs: bool = True
    flow_logs_retention_days: int = Field(
        default=30, ge=1,
        description="Days the VPC flow logs are kept in CloudWatch: 30 in dev, 90 in staging, 365 in prod "
                    "(prod keeps at least a year, for incident investigation and audit).")

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
