"""Monthly cost estimate of a planned stack, from a pinned and dated price table (prices.json).

Node pools are priced at their first instance type (the one Cluster Autoscaler models the pool with),
at rest (idle) and at max size. At rest a pool runs its min size, but at least one node when an
always-on service (Keycloak, MLflow, ZenML, lakeFS) is pinned to it: the autoscaler will keep one. Spot pools apply the table's documented discount. Data transfer,
load balancer capacity units and request charges are not included; NAT data processing and the VPC
endpoints are priced on assumed traffic volumes (TRAFFIC_GB).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from domain import catalog
from domain.settings import PlatformSettings
from domain.settings.node_pools import POOL_LABEL
from stacks.offline import PlannedResource

PRICES_FILE = Path(__file__).with_name("prices.json")
GPU_RESOURCE = "nvidia.com/gpu"
S3_BASELINE_GIB = 50  # assumed stored data per bucket for the baseline


@cache
def load_prices(path: Path = PRICES_FILE) -> dict[str, Any]:
    return json.loads(path.read_text())


@dataclass(frozen=True)
class CostLine:
    item: str
    detail: str
    idle: float  # USD per month at rest
    peak: float  # USD per month at maximum size


@dataclass(frozen=True)
class CostReport:
    region: str
    price_date: str
    spot_discount: float
    lines: list[CostLine]

    @property
    def idle_total(self) -> float:
        return round(sum(line.idle for line in self.lines), 2)

    @property
    def peak_total(self) -> float:
        return round(sum(line.peak for line in self.lines), 2)

    def as_dict(self) -> dict[str, Any]:
        return {"region": self.region, "priceDate": self.price_date, "spotDiscount": self.spot_discount,
                "idleTotal": self.idle_total, "peakTotal": self.peak_total,
                "lines": [line.__dict__ for line in self.lines]}


class PriceError(KeyError):
    pass


def region_prices(prices: dict[str, Any], region: str) -> dict[str, Any]:
    if region not in prices["regions"]:
        raise PriceError(f"no prices for region {region}. Fix: add it to {PRICES_FILE.name} "
                         f"(priced regions: {sorted(prices['regions'])}).")
    return prices["regions"][region]


def node_monthly(settings_pool, rp: dict[str, Any], hours: float, spot_discount: float) -> float:
    """Monthly cost of one node of a pool: instance hours plus its gp3 root volume."""
    itype = settings_pool.instance_types[0]
    if itype not in rp["ec2"]:
        raise PriceError(f"no price for {itype}. Fix: add it to {PRICES_FILE.name}.")
    hourly = rp["ec2"][itype] * ((1 - spot_discount) if settings_pool.capacity_type == "SPOT" else 1)
    return hourly * hours + settings_pool.disk_size_gib * rp["ebsGp3PerGibMonth"]


def nodes_at_rest(settings: PlatformSettings) -> dict[str, int]:
    """Nodes each pool runs when nothing but the platform itself is running."""
    hosting = {settings.services.pool_name(svc, settings) for svc in settings.services.enabled_services}
    return {p.name: max(p.min_size, 1 if p.name in hosting else 0) for p in settings.pools}


def estimate(settings: PlatformSettings, resources: list[PlannedResource],
             prices: dict[str, Any] | None = None) -> CostReport:
    prices = prices or load_prices()
    rp = region_prices(prices, settings.region)
    hours, discount = prices["hoursPerMonth"], prices["spotDiscount"]
    lines: list[CostLine] = []
    at_rest = nodes_at_rest(settings)
    for pool in settings.pools:
        node = node_monthly(pool, rp, hours, discount)
        rest = at_rest[pool.name]
        detail = f"{pool.instance_types[0]} x {rest}..{pool.max_size} {pool.capacity_type.lower()}"
        if rest > pool.min_size:
            detail += " (services keep 1)"
        lines.append(CostLine(f"pool {pool.name}", detail, round(node * rest, 2), round(node * pool.max_size, 2)))

    def fixed(item: str, detail: str, monthly: float) -> None:
        lines.append(CostLine(item, detail, round(monthly, 2), round(monthly, 2)))

    fixed("EKS control plane", "1 cluster", rp["eksControlPlanePerHour"] * hours)
    nats = [r for r in resources if r.type == "aws:ec2/natGateway:NatGateway"]
    fixed("NAT gateways", f"{len(nats)} (hourly)", len(nats) * rp["natGatewayPerHour"] * hours)
    lines += network_traffic_lines(resources, rp, hours)
    ingresses = [r for r in resources if r.type == "kubernetes:networking.k8s.io/v1:Ingress"]
    if ingresses:
        fixed("load balancers", f"{len(ingresses)} ALB (LCUs extra)", len(ingresses) * rp["albPerHour"] * hours)
    for r in sorted(resources, key=lambda r: r.urn):
        if r.type == "aws:rds/instance:Instance":
            i = r.inputs
            cls = i.get("instanceClass", "")
            if cls not in rp["rds"]:
                raise PriceError(f"no price for RDS class {cls}. Fix: add it to {PRICES_FILE.name}.")
            copies = 2 if i.get("multiAz") else 1
            storage = float(i.get("allocatedStorage") or 20) * rp["rdsGp3PerGibMonth"]
            fixed(f"RDS {i.get('identifier', r.name)}", f"{cls} {'multi-AZ' if copies == 2 else 'single-AZ'} "
                  f"{i.get('engine', '')}", copies * (rp["rds"][cls] * hours + storage))
    buckets = [r for r in resources if r.type in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")]
    if buckets:
        fixed("S3 baseline", f"{len(buckets)} buckets x {S3_BASELINE_GIB} GiB", len(buckets) * S3_BASELINE_GIB * rp["s3StandardPerGibMonth"])
    keys = [r for r in resources if r.type == "aws:kms/key:Key"]
    fixed("KMS keys", f"{len(keys)}", len(keys) * rp["kmsKeyPerMonth"])
    lines += serving_lines(settings, resources, rp, hours, discount)
    return CostReport(settings.region, prices["date"], discount, lines)


VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
# Assumed monthly traffic (GB, at rest and at peak) from the private subnets to AWS services, to show what
# the VPC endpoints change: S3 (model artifacts, datasets, and every ECR image layer, which ECR serves from
# S3; multi-GB GPU images pulled on each scale-up) and the ECR and STS APIs (manifests, auth, IRSA tokens).
# Estimates, not measurements: VPC flow logs give the real figures.
TRAFFIC_GB: dict[str, tuple[float, float]] = {"s3": (100, 2000), "ecr.api": (1, 10), "ecr.dkr": (1, 10),
                                               "sts": (1, 5)}


def network_traffic_lines(resources: list[PlannedResource], rp: dict[str, Any], hours: float) -> list[CostLine]:
    """NAT data processing of the traffic no endpoint carries, and the endpoints' own cost.

    A gateway endpoint (S3) is free; an interface endpoint costs per AZ-hour and per GB. Prices missing for
    the region (prices.json `networkSource`) are shown as such, never guessed."""
    services = {str(r.inputs.get("serviceName", "")).rsplit(".", 1)[-1] if r.inputs.get("vpcEndpointType") == "Gateway"
                else ".".join(str(r.inputs.get("serviceName", "")).split(".")[3:]): r
                for r in resources if r.type == VPC_ENDPOINT}
    nat_gb, endpoint_gb, endpoint_az_hours = rp.get("natGatewayPerGb"), rp.get("interfaceEndpointPerGb"), rp.get(
        "interfaceEndpointPerAzHour")
    through_nat = {svc: gib for svc, gib in TRAFFIC_GB.items() if svc not in services}
    via_endpoints = {svc: gib for svc, gib in TRAFFIC_GB.items() if svc in services}
    lines: list[CostLine] = []
    nat_rest, nat_peak = (sum(g[i] for g in through_nat.values()) for i in (0, 1))
    saved_rest, saved_peak = (sum(g[i] for g in via_endpoints.values()) for i in (0, 1))
    if not any(r.type == "aws:ec2/natGateway:NatGateway" for r in resources):
        return lines
    if nat_gb is None:
        lines.append(CostLine("NAT data processing", f"{nat_rest:g}..{nat_peak:g} GB (assumed); no price for this "
                              f"region in {PRICES_FILE.name}", 0.0, 0.0))
    else:
        avoided = f"; {saved_rest:g}..{saved_peak:g} GB via endpoints avoid ${saved_rest * nat_gb:,.0f}..$" \
                  f"{saved_peak * nat_gb:,.0f}" if via_endpoints else ""
        lines.append(CostLine("NAT data processing", f"{nat_rest:g}..{nat_peak:g} GB/month (assumed){avoided}",
                              round(nat_rest * nat_gb, 2), round(nat_peak * nat_gb, 2)))
    interface = [r for svc, r in services.items() if r.inputs.get("vpcEndpointType") == "Interface"]
    gateway = sorted(svc for svc, r in services.items() if r.inputs.get("vpcEndpointType") == "Gateway")
    if gateway or interface:
        az_count = max((len(r.inputs.get("subnetIds") or []) for r in interface), default=0)
        names = sorted(svc for svc, r in services.items() if r.inputs.get("vpcEndpointType") == "Interface")
        detail = ", ".join([*(f"{g} gateway (free)" for g in gateway),
                            *([f"{', '.join(names)} interface x {az_count} AZs"] if names else [])])
        if interface and (endpoint_gb is None or endpoint_az_hours is None):
            lines.append(CostLine("VPC endpoints", f"{detail}; no price for this region in {PRICES_FILE.name}", 0.0, 0.0))
        else:
            hourly = len(interface) * az_count * (endpoint_az_hours or 0) * hours
            rest, peak = (sum(TRAFFIC_GB[n][i] for n in names) * (endpoint_gb or 0) for i in (0, 1))
            lines.append(CostLine("VPC endpoints", detail, round(hourly + rest, 2), round(hourly + peak, 2)))
    return lines


SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def _cpu_cores(quantity: Any) -> float:
    text = str(quantity or "0")
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def serving_lines(settings: PlatformSettings, resources: list[PlannedResource], rp: dict[str, Any], hours: float,
                  discount: float) -> list[CostLine]:
    """Nodes each KEDA-scaled workload needs at its min (at rest) and max replicas, on its own pool.

    Each workload is priced on nodes of its own (no bin-packing with others): GPU pods by whole GPUs per
    node, CPU pods by vCPU. A batch service at rest (min 0) needs no node, so it costs nothing.
    """
    deployments = {(r.inputs.get("metadata", {}).get("namespace"), r.inputs.get("metadata", {}).get("name")): r
                   for r in resources if r.type == DEPLOYMENT}
    lines = []
    for so in sorted((r for r in resources if r.type == SCALED_OBJECT), key=lambda r: r.name):
        meta, spec = so.inputs.get("metadata", {}), so.inputs.get("spec", {})
        target = deployments.get((meta.get("namespace"), spec.get("scaleTargetRef", {}).get("name")))
        if target is None:
            continue
        pod = target.inputs["spec"]["template"]["spec"]
        pool = settings.pool((pod.get("nodeSelector") or {}).get(POOL_LABEL, ""))
        if pool is None:
            continue
        gpus = sum(int(c.get("resources", {}).get("limits", {}).get(GPU_RESOURCE, 0)) for c in pod["containers"])
        cpu = sum(_cpu_cores(c.get("resources", {}).get("requests", {}).get("cpu")) for c in pod["containers"])
        per_node = (pool.gpus_per_node / gpus) if gpus else catalog.INSTANCE_TYPES[pool.instance_types[0]].vcpu / max(cpu, 0.001)
        node = node_monthly(pool, rp, hours, discount)
        low, high = int(spec.get("minReplicaCount", 1)), int(spec.get("maxReplicaCount", 1))
        rest, peak = math.ceil(low / per_node) if gpus else low / per_node, math.ceil(high / per_node) if gpus else high / per_node
        lines.append(CostLine(f"serving {meta.get('namespace')}/{meta.get('name')}",
                              f"{low}..{high} x {gpus or cpu:g} {'GPU' if gpus else 'vCPU'} on {pool.name} "
                              f"({pool.instance_types[0]})", round(node * rest, 2), round(node * peak, 2)))
    return lines


def project_estimate(settings: PlatformSettings, resources: list[PlannedResource],
                     prices: dict[str, Any] | None = None) -> CostReport:
    """What a team project adds to its platform: its workloads' nodes, and its load balancers (IngressGroups)."""
    prices = prices or load_prices()
    rp = region_prices(prices, settings.region)
    hours, discount = prices["hoursPerMonth"], prices["spotDiscount"]
    lines = serving_lines(settings, resources, rp, hours, discount)
    groups = {(r.inputs.get("metadata", {}).get("annotations") or {}).get("alb.ingress.kubernetes.io/group.name")
              for r in resources if r.type == "kubernetes:networking.k8s.io/v1:Ingress"}
    if groups:
        monthly = round(len(groups) * rp["albPerHour"] * hours, 2)
        lines.append(CostLine("load balancers", f"{len(groups)} ALB (IngressGroup; LCUs extra)", monthly, monthly))
    queues = [r for r in resources if r.type == "aws:sqs/queue:Queue"]
    if queues:
        lines.append(CostLine("SQS queues", f"{len(queues)} (billed per request only)", 0.0, 0.0))
    return CostReport(settings.region, prices["date"], discount, lines)
