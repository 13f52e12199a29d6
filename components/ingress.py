"""Optional HTTPS ingress for the services: the AWS Load Balancer Controller and one ALB Ingress per service.

The controller runs on the system pool with its own IRSA role. Its IAM policy is the upstream
recommended policy (docs/install/iam_policy.json of kubernetes-sigs/aws-load-balancer-controller
v3.5.0) narrowed to this account, region, VPC and cluster: resource-tag conditions require the
cluster's own `elbv2.k8s.aws/cluster` tag value instead of any value, ARNs name the account and
region, and security-group rule changes are limited to the cluster's VPC.

Services share one ALB per scheme (an IngressGroup), terminate TLS with an ACM certificate, and
reach pods directly (target type ip), so each namespace allows the VPC range on the service port.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.helm import chart_release
from components.iam import OidcIdentity, ServiceAccountRole, policy_document
from components.kube import api_fields
from components.storage.names import bounded_name, partition
from domain.settings.services import IngressSettings
from domain.versions import CHARTS

CONTROLLER_NAMESPACE = "kube-system"
CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller"
INGRESS_CLASS = "alb"
CLUSTER_TAG = "elbv2.k8s.aws/cluster"
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

_DESCRIBE = [
    "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections", "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags",
    "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
    "ec2:DescribeRouteTables",
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeCapacityReservation",
]
_INTEGRATIONS = [
    "cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
    "iam:ListServerCertificates", "iam:GetServerCertificate",
    "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
    "waf-regional:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL",
    "wafv2:DisassociateWebACL", "shield:GetSubscriptionState", "shield:DescribeProtection",
    "shield:CreateProtection", "shield:DeleteProtection",
]
_MANAGE_OWN = [
    "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation",
    "elasticloadbalancing:ModifyIpPools",
]
_LISTENERS = [
    "elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities",
]


def controller_policy_statements(cluster_name: str, account_id: str, region: str, vpc_id: str) -> list[dict[str, Any]]:
    """The upstream controller policy, scoped to one account, region, VPC and cluster."""
    arn = partition(region)
    elb = f"arn:{arn}:elasticloadbalancing:{region}:{account_id}"
    security_groups = f"arn:{arn}:ec2:{region}:{account_id}:security-group/*"
    vpc = f"arn:{arn}:ec2:{region}:{account_id}:vpc/{vpc_id}"
    own_request = {"StringEquals": {f"aws:RequestTag/{CLUSTER_TAG}": cluster_name}}
    own_resource = {"StringEquals": {f"aws:ResourceTag/{CLUSTER_TAG}": cluster_name}}
    balancers = [f"{elb}:targetgroup/*/*", f"{elb}:loadbalancer/net/*/*", f"{elb}:loadbalancer/app/*/*"]
    return [
        {"Sid": "ServiceLinkedRole", "Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole"], "Resource": "*",
         "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}},
        {"Sid": "Describe", "Effect": "Allow", "Action": _DESCRIBE, "Resource": "*"},
        {"Sid": "Integrations", "Effect": "Allow", "Action": _INTEGRATIONS, "Resource": "*"},
        {"Sid": "SecurityGroupRulesInVpc", "Effect": "Allow",
         "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
         "Resource": security_groups, "Condition": {"ArnEquals": {"ec2:Vpc": vpc}}},
        {"Sid": "CreateSecurityGroupInVpc", "Effect": "Allow", "Action": ["ec2:CreateSecurityGroup"], "Resource": vpc},
        {"Sid": "CreateOwnSecurityGroup", "Effect": "Allow", "Action": ["ec2:CreateSecurityGroup"],
         "Resource": security_groups, "Condition": own_request},
        {"Sid": "TagOwnNewSecurityGroup", "Effect": "Allow", "Action": ["ec2:CreateTags"], "Resource": security_groups,
         "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup",
                                        f"aws:RequestTag/{CLUSTER_TAG}": cluster_name}}},
        {"Sid": "RetagOwnSecurityGroup", "Effect": "Allow", "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
         "Resource": security_groups,
         "Condition": {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "true"}, **own_resource}},
        {"Sid": "ManageOwnSecurityGroup", "Effect": "Allow",
         "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
         "Resource": security_groups, "Condition": own_resource},
        {"Sid": "CreateOwnLoadBalancers", "Effect": "Allow",
         "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
         "Resource": balancers, "Condition": own_request},
        {"Sid": "ListenersAndRules", "Effect": "Allow",
         "Action": ["elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
                    "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"],
         "Resource": [f"{elb}:loadbalancer/app/*/*", f"{elb}:loadbalancer/net/*/*", f"{elb}:listener/app/*/*/*",
                      f"{elb}:listener/net/*/*/*", f"{elb}:listener-rule/app/*/*/*/*",
                      f"{elb}:listener-rule/net/*/*/*/*"]},
        {"Sid": "RetagOwnLoadBalancers", "Effect": "Allow",
         "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], "Resource": balancers,
         "Condition": {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "true"}, **own_resource}},
        {"Sid": "TagListenersAndRules", "Effect": "Allow",
         "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
         "Resource": [f"{elb}:listener/net/*/*/*", f"{elb}:listener/app/*/*/*", f"{elb}:listener-rule/net/*/*/*",
                      f"{elb}:listener-rule/app/*/*/*"]},
        {"Sid": "ManageOwnLoadBalancers", "Effect": "Allow", "Action": _MANAGE_OWN, "Resource": f"{elb}:*",
         "Condition": own_resource},
        {"Sid": "TagOnCreate", "Effect": "Allow", "Action": ["elasticloadbalancing:AddTags"], "Resource": balancers,
         "Condition": {"StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"],
                                        f"aws:RequestTag/{CLUSTER_TAG}": cluster_name}}},
        {"Sid": "RegisterTargets", "Effect": "Allow",
         "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
         "Resource": f"{elb}:targetgroup/*/*"},
        {"Sid": "ModifyListenersAndRules", "Effect": "Allow", "Action": _LISTENERS, "Resource": f"{elb}:*"},
    ]


def controller_values(*, cluster_name: str, region: str, placement: Mapping[str, Any], vpc_id: str,
                      role_arn: str) -> dict[str, Any]:
    """Chart values: region and VPC set explicitly (pods cannot reach IMDS: hop limit 1); `placement` is the
    system pool's (nodeSelector, tolerations)."""
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": 2,
        "serviceAccount": {"create": True, "name": CONTROLLER_SERVICE_ACCOUNT,
                           "annotations": {"eks.amazonaws.com/role-arn": role_arn}},
        **placement,
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "podDisruptionBudget": {"maxUnavailable": 1},
        "ingressClass": INGRESS_CLASS,
        "createIngressClassResource": True,
        "ingressClassConfig": {"default": False},
        # Only Ingresses are this controller's business: leave Services of type LoadBalancer alone.
        "enableServiceMutatorWebhook": False,
        "defaultTags": {"cluster": cluster_name, "managed-by": "aws-load-balancer-controller"},
    }


class LoadBalancerController(pulumi.ComponentResource):
    """AWS Load Balancer Controller (pinned chart) on the system pool, with its own IRSA role."""

    def __init__(self, name: str, *, cluster_name: str, region: str, placement: Mapping[str, Any],
                 oidc: OidcIdentity, vpc_id: pulumi.Input[str], account_id: pulumi.Input[str],
                 depends_on: Sequence[pulumi.Resource] = (), opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:ingress:LoadBalancerController", name, None, opts)
        cluster = cluster_name
        policy = pulumi.Output.all(account_id, vpc_id).apply(
            lambda a: policy_document(controller_policy_statements(cluster, a[0], region, a[1])))
        self.role = ServiceAccountRole(f"{name}-irsa", oidc, CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT,
                                       policy=policy, opts=pulumi.ResourceOptions(parent=self))
        values = pulumi.Output.all(vpc_id, self.role.arn).apply(lambda a: controller_values(cluster_name=cluster, region=region, placement=placement, vpc_id=a[0], role_arn=a[1]))
        self.release = chart_release(f"{name}-release", CHARTS["aws-load-balancer-controller"], CONTROLLER_NAMESPACE,
                                     values, pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)))
        self.register_outputs({"role_arn": self.role.arn})


def allow_from_cidr_spec(cidr: str, port: int, pod_selector: Mapping[str, str] | None = None) -> dict[str, Any]:
    """NetworkPolicy spec: allow a TCP port from an IP range (the ALB's addresses in the VPC)."""
    return {"podSelector": {"matchLabels": dict(pod_selector or {})}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": cidr}}], "ports": [{"port": port, "protocol": "TCP"}]}]}


def ingress_annotations(ingress: IngressSettings, health_check_path: str, group: str) -> dict[str, str]:
    annotations = {
        "alb.ingress.kubernetes.io/scheme": ingress.scheme,
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/group.name": bounded_name([group, ingress.scheme], 63),
        "alb.ingress.kubernetes.io/listen-ports": json.dumps([{"HTTPS": 443}]),
        "alb.ingress.kubernetes.io/certificate-arn": ingress.certificate_arn,
        "alb.ingress.kubernetes.io/ssl-policy": SSL_POLICY,
        "alb.ingress.kubernetes.io/backend-protocol": "HTTP",
        "alb.ingress.kubernetes.io/healthcheck-path": health_check_path,
        "alb.ingress.kubernetes.io/load-balancer-attributes": "routing.http.drop_invalid_header_fields.enabled=true",
    }
    if ingress.allowed_cidrs:
        annotations["alb.ingress.kubernetes.io/inbound-cidrs"] = ",".join(ingress.allowed_cidrs)
    return annotations


def ingress_spec(host: str, service: str, port: int) -> dict[str, Any]:
    return {
        "ingressClassName": INGRESS_CLASS,
        "rules": [{"host": host, "http": {"paths": [{
            "path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": service, "port": {"number": port}}},
        }]}}],
    }


def alb_ingress(name: str, *, namespace: str, ingress: IngressSettings, service: str, service_port: int,
                target_port: int, health_check_path: str, vpc_cidr: str, group: str,
                pod_selector: Mapping[str, str] | None, parent: pulumi.Resource,
                depends_on: Sequence[pulumi.Resource] = ()) -> k8s.networking.v1.Ingress:
    """An HTTPS ALB Ingress for one Service, plus the NetworkPolicy letting the ALB reach the pods."""
    k8s.networking.v1.NetworkPolicy(
        f"{name}-allow-alb",
        metadata={"name": "allow-alb", "namespace": namespace},
        spec=api_fields(allow_from_cidr_spec(vpc_cidr, target_port, pod_selector)),
        # After the release (and so its namespace): a policy in a namespace that does not exist yet fails.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)))
    return k8s.networking.v1.Ingress(
        name,
        metadata={"name": service, "namespace": namespace,
                  "annotations": ingress_annotations(ingress, health_check_path, group)},
        spec=api_fields(ingress_spec(ingress.host, service, service_port)),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)))
