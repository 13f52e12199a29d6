"""IAM documents of the account bootstrap, as pure functions (tested without Pulumi).

Least privilege for what the platform program creates, per environment E of project P:
- reads (Describe/List/Get) anywhere: they cannot change anything and mostly take no resource scope;
- creates only with the request tags `project=P` and `environment=E` (the platform's AWS provider puts them
  on every resource as default tags), changes and deletes only of resources tagged `environment=E`;
- services whose resources carry no tag condition on the actions used are scoped by name prefix `P-E`
  (every name the platform gives derives from the cluster name `P-<stack>`): S3 buckets, KMS aliases,
  CloudWatch log groups;
- the Pulumi state of E only (its objects in the state bucket, its secrets key).
No statement allows `*` or `<service>:*` actions. The preview role reads, and decrypts only its own
environment's secrets key: the dev and staging preview roles (used by every pull request) can never
decrypt prod's state or config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from domain.ci import GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST

READ_ACTIONS = [
    "autoscaling:Describe*", "codebuild:BatchGetProjects", "codebuild:ListProjects",
    "ec2:Describe*", "eks:Describe*", "eks:List*", "elasticloadbalancing:Describe*",
    "iam:GetInstanceProfile", "iam:GetOpenIDConnectProvider", "iam:GetPolicy", "iam:GetPolicyVersion",
    "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    "iam:ListOpenIDConnectProviders", "iam:ListPolicyVersions", "iam:ListRolePolicies", "iam:ListRoleTags",
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags",
    "logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup",
    "rds:Describe*", "rds:ListTagsForResource",
    "s3:GetBucketLocation", "s3:ListAllMyBuckets", "sts:GetCallerIdentity",
]

# Creates that accept request tags: allowed only with project=P and environment=E in the request.
TAGGED_CREATE = [
    "ec2:AllocateAddress", "ec2:CreateFlowLogs", "ec2:CreateInternetGateway", "ec2:CreateLaunchTemplate",
    "ec2:CreateNatGateway", "ec2:CreateRouteTable", "ec2:CreateSecurityGroup", "ec2:CreateSubnet", "ec2:CreateVpc",
    "eks:CreateAccessEntry", "eks:CreateAddon", "eks:CreateCluster", "eks:CreateNodegroup",
    "iam:CreateOpenIDConnectProvider", "iam:CreatePolicy", "iam:CreateRole",
    "kms:CreateKey",
    "rds:CreateDBInstance", "rds:CreateDBParameterGroup", "rds:CreateDBSubnetGroup",
    "codebuild:CreateProject",
]

# Changes and deletes of existing resources: only of resources tagged environment=E.
TAGGED_MANAGE = [
    "ec2:AssociateRouteTable", "ec2:AttachInternetGateway", "ec2:AuthorizeSecurityGroupEgress",
    "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateLaunchTemplateVersion", "ec2:CreateRoute",
    "ec2:DeleteFlowLogs", "ec2:DeleteInternetGateway", "ec2:DeleteLaunchTemplate", "ec2:DeleteNatGateway",
    "ec2:DeleteRoute", "ec2:DeleteRouteTable", "ec2:DeleteSecurityGroup", "ec2:DeleteSubnet", "ec2:DeleteVpc",
    "ec2:DetachInternetGateway", "ec2:DisassociateAddress", "ec2:DisassociateRouteTable",
    "ec2:ModifyLaunchTemplate", "ec2:ModifySecurityGroupRules", "ec2:ModifySubnetAttribute",
    "ec2:ModifyVpcAttribute", "ec2:ReleaseAddress", "ec2:ReplaceRoute", "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress", "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    "eks:AssociateAccessPolicy", "eks:DeleteAccessEntry", "eks:DeleteAddon", "eks:DeleteCluster",
    "eks:DeleteNodegroup", "eks:DisassociateAccessPolicy", "eks:TagResource", "eks:UntagResource",
    "eks:UpdateAccessEntry", "eks:UpdateAddon", "eks:UpdateClusterConfig", "eks:UpdateClusterVersion",
    "eks:UpdateNodegroupConfig", "eks:UpdateNodegroupVersion",
    "iam:AttachRolePolicy", "iam:CreatePolicyVersion", "iam:DeleteOpenIDConnectProvider", "iam:DeletePolicy",
    "iam:DeletePolicyVersion", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
    "iam:PutRolePolicy", "iam:TagOpenIDConnectProvider", "iam:TagPolicy", "iam:TagRole",
    "iam:UntagOpenIDConnectProvider", "iam:UntagPolicy", "iam:UntagRole", "iam:UpdateAssumeRolePolicy",
    "iam:UpdateOpenIDConnectProviderThumbprint", "iam:UpdateRoleDescription",
    "kms:CreateGrant", "kms:EnableKeyRotation", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource",
    "kms:UntagResource", "kms:UpdateKeyDescription",
    "rds:AddTagsToResource", "rds:DeleteDBInstance", "rds:DeleteDBParameterGroup", "rds:DeleteDBSubnetGroup",
    "rds:ModifyDBInstance", "rds:ModifyDBParameterGroup", "rds:ModifyDBSubnetGroup", "rds:RebootDBInstance",
    "rds:RemoveTagsFromResource",
    "codebuild:CreateWebhook", "codebuild:DeleteProject", "codebuild:DeleteWebhook", "codebuild:UpdateProject",
    "codebuild:UpdateWebhook",
]

# Services the platform hands roles to (node groups, the cluster, the runner, RDS monitoring).
PASSED_TO = ["ec2.amazonaws.com", "eks.amazonaws.com", "codebuild.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
SERVICE_LINKED = ["eks.amazonaws.com", "eks-nodegroup.amazonaws.com", "autoscaling.amazonaws.com",
                  "rds.amazonaws.com"]
BUCKET_ACTIONS = [
    "s3:CreateBucket", "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketCORS",
    "s3:GetBucketLogging", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketRequestPayment", "s3:GetBucketTagging",
    "s3:GetBucketVersioning", "s3:GetBucketWebsite", "s3:GetAccelerateConfiguration",
    "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration",
    "s3:ListBucket", "s3:PutBucketOwnershipControls", "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketTagging", "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
]
LOG_ACTIONS = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy", "logs:PutRetentionPolicy",
               "logs:TagLogGroup", "logs:TagResource", "logs:UntagLogGroup", "logs:UntagResource"]
ALIAS_ACTIONS = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
STATE_OBJECT_WRITE = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
SECRETS_KEY_USE = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
# The break-glass role repairs access (the runbook in README "Cluster access"), nothing else.
BREAK_GLASS_ACTIONS = ["eks:AssociateAccessPolicy", "eks:CreateAccessEntry", "eks:DeleteAccessEntry",
                       "eks:DescribeAccessEntry", "eks:DescribeCluster", "eks:DisassociateAccessPolicy",
                       "eks:ListAccessEntries", "eks:ListAssociatedAccessPolicies"]


@dataclass(frozen=True)
class Scope:
    """One environment of the platform in one account and region."""

    project: str
    environment: str
    account_id: str
    region: str
    state_bucket: str
    state_key_arn: str
    secrets_key_arn: str
    partition: str = "aws"

    @property
    def prefix(self) -> str:
        """Every name the platform gives in this environment starts with it (the cluster name)."""
        return f"{self.project}-{self.environment}"

    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        return f"arn:{self.partition}:{service}:{self.region if regional else ''}:{self.account_id}:{resource}"

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.state_bucket}"

    def state_path(self, kind: str) -> str:
        """This environment's objects of one kind in the self-managed backend's project-scoped layout."""
        stack = f"{self.project}/{self.environment}"
        return f"{self.bucket_arn}/.pulumi/{kind}/{stack}.json*" if kind == "stacks" else \
            f"{self.bucket_arn}/.pulumi/{kind}/{stack}/*"

    @property
    def state_objects(self) -> list[str]:
        return [self.state_path(k) for k in ("stacks", "history", "backups", "locks")]


def document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def github_trust_policy(provider_arn: str, repository: str, environment: str) -> str:
    """Only jobs of `repository` running in GitHub environment `environment` may assume the role."""
    return document([{
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
            f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:environment:{environment}",
        }},
    }])


def break_glass_trust_policy(principals: list[str]) -> str:
    """Humans only, with MFA: the named principals (an SSO admin role, ...), or any admin of the account."""
    return document([{
        "Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }])


def _shared_reads(scope: Scope) -> list[dict[str, Any]]:
    """Reads both CI roles need: the platform's resources, public SSM parameters, the state bucket's listing."""
    return [
        {"Sid": "Read", "Effect": "Allow", "Action": READ_ACTIONS, "Resource": "*"},
        # Public parameters only (EKS AMI ids): GetParameter on `*` would read SecureString parameters too.
        {"Sid": "PublicParameters", "Effect": "Allow", "Action": "ssm:GetParameter",
         "Resource": f"arn:{scope.partition}:ssm:{scope.region}::parameter/aws/service/*"},
        {"Sid": "StateBucketList", "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
         "Resource": scope.bucket_arn},
        {"Sid": "StateBucketMeta", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"{scope.bucket_arn}/.pulumi/meta.yaml"},
    ]


def _state_statements(scope: Scope) -> list[dict[str, Any]]:
    return [
        {"Sid": "OwnStateObjects", "Effect": "Allow", "Action": STATE_OBJECT_WRITE, "Resource": scope.state_objects},
        {"Sid": "StateBucketKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
         "Resource": scope.state_key_arn},
        {"Sid": "OwnSecretsKey", "Effect": "Allow", "Action": SECRETS_KEY_USE, "Resource": scope.secrets_key_arn},
    ]


def deploy_policy(scope: Scope) -> str:
    """What `pulumi up` of environment `scope.environment` needs, and no more."""
    tags = {"aws:RequestTag/project": scope.project, "aws:RequestTag/environment": scope.environment}
    return document([
        *_shared_reads(scope),
        {"Sid": "CreateTagged", "Effect": "Allow", "Action": TAGGED_CREATE, "Resource": "*",
         "Condition": {"StringEquals": tags}},
        {"Sid": "TagOnCreate", "Effect": "Allow", "Action": ["ec2:CreateTags"], "Resource": "*",
         "Condition": {"StringEquals": {**tags, "ec2:CreateAction": [a.split(":")[1] for a in TAGGED_CREATE
                                                                     if a.startswith("ec2:")]}}},
        {"Sid": "ManageTagged", "Effect": "Allow", "Action": TAGGED_MANAGE, "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/environment": scope.environment}}},
        {"Sid": "PassOwnRoles", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": scope.arn("iam", "role/*", regional=False),
         "Condition": {"StringEquals": {"iam:ResourceTag/environment": scope.environment,
                                        "iam:PassedToService": PASSED_TO}}},
        {"Sid": "ServiceLinkedRoles", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
         "Resource": scope.arn("iam", "role/aws-service-role/*", regional=False),
         "Condition": {"StringEquals": {"iam:AWSServiceName": SERVICE_LINKED}}},
        {"Sid": "OwnBuckets", "Effect": "Allow", "Action": BUCKET_ACTIONS,
         "Resource": [f"arn:{scope.partition}:s3:::{scope.prefix}-*"]},
        {"Sid": "OwnLogGroups", "Effect": "Allow", "Action": LOG_ACTIONS,
         "Resource": [scope.arn("logs", f"log-group:/aws/{svc}/{scope.prefix}*") for svc in ("eks", "vpc", "codebuild")]},
        {"Sid": "OwnKeyAliases", "Effect": "Allow", "Action": ALIAS_ACTIONS,
         "Resource": [scope.arn("kms", f"alias/{scope.prefix}-*"), scope.arn("kms", "key/*")],
         "Condition": {"StringEqualsIfExists": {"aws:ResourceTag/environment": scope.environment}}},
        *_state_statements(scope),
    ])


def preview_policy(scope: Scope) -> str:
    """What `pulumi preview` (without refresh) of the environment reads: never a change, never another env's keys."""
    return document([
        *_shared_reads(scope),
        {"Sid": "OwnStateRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": scope.state_path("stacks")},
        # The backend locks a stack while an operation runs.
        {"Sid": "OwnStateLocks", "Effect": "Allow", "Action": ["s3:DeleteObject", "s3:PutObject"],
         "Resource": scope.state_path("locks")},
        {"Sid": "StateBucketKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": scope.state_key_arn},
        # A preview decrypts its own stack's secrets (config and state); prod's preview role is trusted only
        # from the prod-preview GitHub environment, whose reviewers approve each run.
        {"Sid": "OwnSecretsKeyDecrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": scope.secrets_key_arn},
    ])


def break_glass_policy(scope: Scope) -> str:
    return document([
        {"Sid": "RepairClusterAccess", "Effect": "Allow", "Action": BREAK_GLASS_ACTIONS,
         "Resource": [scope.arn("eks", f"cluster/{scope.prefix}"), scope.arn("eks", f"access-entry/{scope.prefix}/*"),
                      scope.arn("eks", "access-policy/*", regional=False)]},
        {"Sid": "ListClusters", "Effect": "Allow", "Action": "eks:ListClusters", "Resource": "*"},
    ])


def state_bucket_policy(bucket: str, partition: str = "aws") -> str:
    """TLS only: no plain-HTTP access to state, from anyone."""
    arn = f"arn:{partition}:s3:::{bucket}"
    return document([{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                      "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])


def key_policy(account_id: str, partition: str = "aws") -> str:
    """Account-root administration; use is granted through IAM policies (the roles above)."""
    return document([{"Sid": "AccountAdministration", "Effect": "Allow",
                      "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"}, "Action": "kms:*",
                      "Resource": "*"}])
