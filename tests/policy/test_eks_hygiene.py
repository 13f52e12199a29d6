"""cluster-secrets-encryption, api-endpoint-not-public and node-groups-require-imdsv2."""

import pytest
from harness import UNKNOWN, props_violations, resource, violations

EKS_CLUSTER = "eks:index:Cluster"
AWS_CLUSTER = "aws:eks/cluster:Cluster"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/abc"


class TestClusterSecretsEncryption:
    POLICY = "cluster-secrets-encryption"

    def test_eks_component(self):
        assert props_violations(self.POLICY, EKS_CLUSTER, {"encryptionConfigKeyArn": KEY_ARN}) == []
        assert props_violations(self.POLICY, EKS_CLUSTER, {"encryptionConfigKeyArn": UNKNOWN}) == []
        found = props_violations(self.POLICY, EKS_CLUSTER, {})
        assert len(found) == 1 and "encryption_config_key_arn" in found[0]

    def test_aws_cluster(self):
        good = {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}}}
        assert violations(self.POLICY, resource(AWS_CLUSTER, good)) == []
        assert violations(self.POLICY, resource(AWS_CLUSTER, {"encryptionConfig": UNKNOWN})) == []
        assert len(violations(self.POLICY, resource(AWS_CLUSTER, {}))) == 1
        wrong = {"encryptionConfig": {"resources": [], "provider": {}}}
        assert len(violations(self.POLICY, resource(AWS_CLUSTER, wrong))) == 2


class TestApiEndpointNotPublic:
    POLICY = "api-endpoint-not-public"

    @pytest.mark.parametrize("props", [
        {"endpointPublicAccess": False},
        {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]},
        {"endpointPublicAccess": UNKNOWN},
        {"endpointPublicAccess": True, "publicAccessCidrs": UNKNOWN},
    ])
    def test_eks_component_passes(self, props):
        assert violations(self.POLICY, resource(EKS_CLUSTER, props)) == []

    @pytest.mark.parametrize("props", [
        {},  # pulumi_eks defaults to a public endpoint open to the world
        {"endpointPublicAccess": True},
        {"endpointPublicAccess": True, "publicAccessCidrs": []},
        {"endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8", "0.0.0.0/0"]},
        {"publicAccessCidrs": ["::/0"]},
    ])
    def test_eks_component_fails(self, props):
        assert len(violations(self.POLICY, resource(EKS_CLUSTER, props))) == 1

    def test_aws_cluster(self):
        private = {"vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True}}
        restricted = {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.7/32"]}}
        assert violations(self.POLICY, resource(AWS_CLUSTER, private)) == []
        assert violations(self.POLICY, resource(AWS_CLUSTER, restricted)) == []
        assert violations(self.POLICY, resource(AWS_CLUSTER, {"vpcConfig": {"subnetIds": ["s"]}}))
        open_ = {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}}
        found = violations(self.POLICY, resource(AWS_CLUSTER, open_))
        assert len(found) == 1 and "vpc_config.public_access_cidrs" in found[0]


class TestNodeGroupsRequireImdsv2:
    POLICY = "node-groups-require-imdsv2"
    LT = "aws:ec2/launchTemplate:LaunchTemplate"
    GOOD = {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}

    @pytest.mark.parametrize("options", [GOOD, {**GOOD, "httpPutResponseHopLimit": 1.0}, {"httpEndpoint": "disabled"},
                                         {**GOOD, "httpTokens": UNKNOWN}, UNKNOWN])
    def test_launch_template_passes(self, options):
        assert violations(self.POLICY, resource(self.LT, {"metadataOptions": options})) == []

    @pytest.mark.parametrize("options,count", [
        (None, 1), ({**GOOD, "httpTokens": "optional"}, 1), ({**GOOD, "httpPutResponseHopLimit": 2}, 1),
        ({"httpEndpoint": "enabled"}, 2),
    ])
    def test_launch_template_fails(self, options, count):
        props = {} if options is None else {"metadataOptions": options}
        assert len(violations(self.POLICY, resource(self.LT, props))) == count

    def test_managed_node_groups(self):
        mng = "eks:index:ManagedNodeGroup"
        assert violations(self.POLICY, resource(mng, {"launchTemplate": {"id": UNKNOWN, "version": UNKNOWN}})) == []
        assert violations(self.POLICY, resource(mng, {"enableIMDSv2": True})) == []
        assert len(violations(self.POLICY, resource(mng, {"enableIMDSv2": False}))) == 1
        assert violations(self.POLICY, resource("aws:eks/nodeGroup:NodeGroup", {"launchTemplate": {"id": "lt-1"}})) == []
        assert len(violations(self.POLICY, resource("aws:eks/nodeGroup:NodeGroup", {}))) == 1
