"""The stack's CI runner: a CodeBuild-hosted GitHub Actions runner in the stack's private subnets.

A GitHub workflow job whose `runs-on` is `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`
(domain/ci.py) is queued; GitHub calls the project's webhook (event WORKFLOW_JOB_QUEUED) and CodeBuild
starts a build that registers an ephemeral runner for that one job. The build runs in the VPC, so it
reaches the cluster's private API endpoint (the cluster security group admits it on 443) and leaves
through the NAT gateways for GitHub, PyPI and the AWS APIs.

The runner's own role can only write its logs and attach itself to the VPC: jobs assume the
environment's deploy or preview role with GitHub OIDC (bootstrap/), never this one.

GitHub access is an account-level CodeBuild source credential (one per region), created by bootstrap/.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.iam import policy_document
from domain.ci import runner_label, runner_project_name
from domain.settings.cluster import CiSettings

HTTPS = 443


def runner_trust_policy(account_id: str) -> str:
    """CodeBuild may assume the role, only on behalf of this account (confused-deputy guard)."""
    return policy_document([{
        "Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }])


def runner_policy(log_group_arn: str, region: str, account_id: str, subnet_ids: list[str]) -> str:
    """Logs and VPC attachment only (AWS CodeBuild user guide: "Allow CodeBuild access to AWS services
    required to create a VPC network interface"). The EC2 describe and ENI calls take no resource scope."""
    subnets = [f"arn:aws:ec2:{region}:{account_id}:subnet/{s}" for s in subnet_ids]
    return policy_document([
        {"Sid": "BuildLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [log_group_arn, f"{log_group_arn}:*"]},
        {"Sid": "VpcNetworkInterfaces", "Effect": "Allow",
         "Action": ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeDhcpOptions",
                    "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs"],
         "Resource": "*"},
        {"Sid": "NetworkInterfacePermissionInOwnSubnets", "Effect": "Allow",
         "Action": "ec2:CreateNetworkInterfacePermission",
         "Resource": f"arn:aws:ec2:{region}:{account_id}:network-interface/*",
         "Condition": {"StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
                       "ArnEquals": {"ec2:Subnet": subnets}}},
    ])


def webhook_filter_groups() -> list[aws.codebuild.WebhookFilterGroupArgs]:
    """Start a build for each queued workflow job (the runner label routes it to this project)."""
    return [aws.codebuild.WebhookFilterGroupArgs(filters=[
        aws.codebuild.WebhookFilterGroupFilterArgs(type="EVENT", pattern="WORKFLOW_JOB_QUEUED")])]


class DeployRunner(pulumi.ComponentResource):
    """CodeBuild project + webhook + role + security group of the stack's GitHub Actions runner."""

    def __init__(self, name: str, settings: CiSettings, cluster_name: str, region: str,
                 vpc_id: pulumi.Input[str], private_subnet_ids: Sequence[pulumi.Input[str]],
                 cluster_security_group_id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:ci:DeployRunner", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.project_name = runner_project_name(cluster_name)
        self.runs_on = runner_label(self.project_name)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        self.security_group = aws.ec2.SecurityGroup(
            name, name=self.project_name, vpc_id=vpc_id,
            description=f"CI runner {self.project_name}: HTTPS out (GitHub, PyPI, AWS APIs, the cluster API)",
            egress=[aws.ec2.SecurityGroupEgressArgs(protocol="tcp", from_port=HTTPS, to_port=HTTPS,
                                                    cidr_blocks=["0.0.0.0/0"], description="HTTPS out")],
            tags={"Name": self.project_name}, opts=child)
        # The private endpoint's ENIs carry the EKS cluster security group: admit the runner on 443.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-to-cluster-api", security_group_id=cluster_security_group_id, ip_protocol="tcp",
            from_port=HTTPS, to_port=HTTPS, referenced_security_group_id=self.security_group.id,
            description=f"Kubernetes API from the CI runner {self.project_name}", opts=child)

        log_group = aws.cloudwatch.LogGroup(
            name, name=f"/aws/codebuild/{self.project_name}", retention_in_days=settings.log_retention_days, opts=child)
        role = aws.iam.Role(
            name, name=self.project_name, assume_role_policy=account_id.apply(runner_trust_policy),
            description=f"Service role of the CI runner {self.project_name}: logs and VPC attachment only", opts=child)
        role_policy = aws.iam.RolePolicy(
            name, role=role.id,
            policy=pulumi.Output.all(log_group.arn, account_id, *private_subnet_ids).apply(
                lambda a: runner_policy(a[0], region, a[1], list(a[2:]))),
            opts=child)

        self.project = aws.codebuild.Project(
            name, name=self.project_name,
            description=f"GitHub Actions runner for {settings.repository} inside the VPC of {cluster_name}",
            service_role=role.arn,
            source=aws.codebuild.ProjectSourceArgs(type="GITHUB", location=f"https://github.com/{settings.repository}.git",
                                                   git_clone_depth=1),
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="LINUX_CONTAINER", compute_type=settings.compute_type, image=settings.image,
                image_pull_credentials_type="CODEBUILD"),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(vpc_id=vpc_id, subnets=list(private_subnet_ids),
                                                          security_group_ids=[self.security_group.id]),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(group_name=log_group.name,
                                                                                  status="ENABLED")),
            build_timeout=settings.build_timeout_minutes,
            # CodeBuild checks the VPC permissions when the project is created: the policy must exist first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]))
        aws.codebuild.Webhook(name, project_name=self.project.name, build_type="BUILD",
                              filter_groups=webhook_filter_groups(), opts=child)
        self.register_outputs({"project": self.project.name, "runs_on": self.runs_on})


def describe(runner: DeployRunner) -> dict[str, str]:
    """The stack output that the workflows' context step checks against its own label."""
    return {"project": runner.project_name, "runsOn": runner.runs_on}
