"""A corpus of invalid stack configurations, one or more per settings group (data only).

Each case is (stack, config, key, words):
- `config`: what a user would put in Pulumi.<stack>.yaml. Keys without a namespace are `mlplatform:` keys;
  keys with one (`aws:region`) are used as they are.
- `key`: the config key the error must name (the problem line starts with it);
- `words`: what that line must say.

The group of a case is the top-level key its error names (`mlplatform:teams[x].gpuQuota` -> teams).
test_bad_input.py checks every case through the settings loader, the Pulumi program and the offline plan.
tests/foundation/test_settings.py has a further ~40 cases for network, cluster and node pools.
"""

from __future__ import annotations

from typing import Any

GPU_POOL_OFF = [{"name": "gpu", "enabled": False}]
TEAM = {"name": "team-a", "ownersGroup": "team-a-owners"}
ADMIN = "arn:aws:iam::111122223333:role/PlatformAdmins"

CORPUS: list[tuple[str, dict[str, Any], str, str]] = [
    # gpu -----------------------------------------------------------------------------------------------
    ("dev", {"gpu": {"migStrategy": "single"}}, "mlplatform:gpu.migStrategy", "needs a MIG-capable GPU"),
    ("dev", {"gpu": {"migConfig": "all-3x.bad"}}, "mlplatform:gpu.migConfig", "is not a MIG configuration"),
    ("dev", {"gpu": {"migConfig": "all-1g.10gb"}}, "mlplatform:gpu.migConfig", "no effect while migStrategy is none"),
    ("dev", {"gpu": {"timeSlicingReplicas": 0}}, "mlplatform:gpu.timeSlicingReplicas", "greater than or equal to 1"),
    ("dev", {"gpu": {"smokeTest": True}, "nodePools": GPU_POOL_OFF}, "mlplatform:gpu.smokeTest",
     "needs an enabled GPU pool"),
    ("prod", {"gpu": {"autoscaler": {"replicas": 1}}}, "mlplatform:gpu.autoscaler.replicas",
     "prod runs 2 Cluster Autoscaler replicas"),
    ("dev", {"gpu": {"autoscaler": {"scaleDownUnneededTime": "ten minutes"}}},
     "mlplatform:gpu.autoscaler.scaleDownUnneededTime", "is not a duration"),
    ("dev", {"gpu": {"autoscaler": {"expander": "random"}}}, "mlplatform:gpu.autoscaler.expander",
     "'priority' or 'least-waste'"),
    ("dev", {"gpu": {"autoscaler": {"scaleDownUtilizationThreshold": 1.5}}},
     "mlplatform:gpu.autoscaler.scaleDownUtilizationThreshold", "less than or equal to 1"),
    # teams ---------------------------------------------------------------------------------------------
    ("dev", {"teams": [{**TEAM, "name": "Team_A"}]}, "mlplatform:teams[Team_A].name", "not a valid namespace name"),
    ("dev", {"teams": [{**TEAM, "name": "monitoring"}]}, "mlplatform:teams[monitoring].name",
     "is a namespace of the platform"),
    ("dev", {"teams": [{**TEAM, "roleArns": ["ml-research"]}]}, "mlplatform:teams[team-a].roleArns",
     "not an IAM role or user ARN"),
    ("dev", {"cluster": {"adminPrincipalArns": [ADMIN]}, "teams": [{**TEAM, "roleArns": [ADMIN]}]},
     "mlplatform:teams[team-a].roleArns", "also in cluster.adminPrincipalArns"),
    ("dev", {"teams": [{**TEAM, "ownersGroup": "system:masters"}]}, "mlplatform:teams[team-a].ownersGroup",
     "Kubernetes system group"),
    ("dev", {"teams": [{**TEAM, "cpuQuota": "lots"}]}, "mlplatform:teams[team-a].cpuQuota",
     "not a Kubernetes quantity"),
    ("dev", {"teams": [{**TEAM, "gpuQuota": 100}]}, "mlplatform:teams[team-a].gpuQuota",
     "exceed the GPU pools' total capacity of 2"),
    ("dev", {"teams": [{**TEAM, "gpuQuota": 1}], "nodePools": GPU_POOL_OFF}, "mlplatform:teams[team-a].gpuQuota",
     "no enabled GPU pool"),
    ("dev", {"teams": [TEAM, {**TEAM, "ownersGroup": "others"}]}, "mlplatform:teams", "duplicate team names ['team-a']"),
    ("dev", {"teams": [{**TEAM, "gpuQuota": 1, "maxGpusPerPod": 4}]}, "mlplatform:teams[team-a].maxGpusPerPod",
     "do not fit on one node"),
    ("dev", {"teams": [{"name": "team-a"}]}, "mlplatform:teams[team-a].ownersGroup", "Field required"),
    # services ------------------------------------------------------------------------------------------
    ("dev", {"services": {"mlflow": {"pool": "gpu"}}}, "mlplatform:services.mlflow.pool", "is a gpu pool"),
    ("dev", {"services": {"zenml": {"pool": "nope"}}}, "mlplatform:services.zenml.pool",
     "not an enabled node pool"),
    ("prod", {"services": {"lakefs": {"replicas": 1}}}, "mlplatform:services.lakefs.replicas", "at least 2 replicas"),
    ("dev", {"services": {"keycloak": {"realm": "master"}}}, "mlplatform:services.keycloak.realm",
     "not a usable realm name"),
    ("dev", {"services": {"mlflow": {"ingress": {"enabled": True}}}}, "mlplatform:services.mlflow.ingress",
     "needs both host and certificateArn"),
    ("dev", {"services": {"mlflow": {"ingress": {"host": "ML.example"}}}}, "mlplatform:services.mlflow.ingress.host",
     "not a DNS host name"),
    ("dev", {"services": {"database": {"instanceClass": "m5.large"}}}, "mlplatform:services.database.instanceClass",
     "not an RDS instance class"),
    ("prod", {"services": {"database": {"multiAz": False}}}, "mlplatform:services.database.multiAz",
     "must be Multi-AZ"),
    ("prod", {"services": {"database": {"backupRetentionDays": 3}}}, "mlplatform:services.database.backupRetentionDays",
     "at least 7 days"),
    ("dev", {"services": {"keycloak": {"grafanaUrl": "grafana"}}}, "mlplatform:services.keycloak.grafanaUrl",
     "is not a URL"),
    ("dev", {"services": {"lakefs": {"allowFromNamespaces": ["Team_A"]}}},
     "mlplatform:services.lakefs.allowFromNamespaces", "are not namespace names"),
    # backup --------------------------------------------------------------------------------------------
    ("staging", {"backup": {"retentionDays": 3}}, "mlplatform:backup.retentionDays", "outside the vault lock"),
    ("prod", {"backup": {"copyTo": {"region": "us-west-2"}}}, "mlplatform:backup.copyTo.region", "own region"),
    ("dev", {"backup": {"schedule": "daily"}}, "mlplatform:backup.schedule", "not an AWS Backup schedule"),
    # observability -------------------------------------------------------------------------------------
    ("dev", {"observability": {"pool": "gpu"}}, "mlplatform:observability.pool", "must not run on GPU capacity"),
    ("dev", {"observability": {"pool": "nope"}}, "mlplatform:observability.pool", "no enabled node pool named 'nope'"),
    ("prod", {"observability": {"prometheus": {"replicas": 1}}}, "mlplatform:observability.prometheus.replicas",
     "prod runs prometheus with 1 replica"),
    ("prod", {"observability": {"prometheus": {"retentionDays": 3}}},
     "mlplatform:observability.prometheus.retentionDays", "too little to investigate"),
    ("dev", {"observability": {"prometheus": {"storageGib": 5}}}, "mlplatform:observability.prometheus.storageGib",
     "greater than or equal to 10"),
    ("dev", {"observability": {"inferenceSlo": {"metric": "http_request_duration_seconds_bucket"}}},
     "mlplatform:observability.inferenceSlo.metric", "histogram series, not its base name"),
    ("dev", {"observability": {"inferenceSlo": {"name": "Inference SLO"}}}, "mlplatform:observability.inferenceSlo.name",
     "not a valid SLO name"),
    ("dev", {"observability": {"inferenceSlo": {"groupBy": ["le"]}}}, "mlplatform:observability.inferenceSlo",
     "'le' is the histogram's bucket label"),
    ("dev", {"observability": {"alerts": {"pvcUsedPercent": 150}}}, "mlplatform:observability.alerts.pvcUsedPercent",
     "not a percentage"),
    ("dev", {"observability": {"serviceNamespaces": ["Bad_NS"]}}, "mlplatform:observability.serviceNamespaces",
     "not Kubernetes namespace names"),
    # network -------------------------------------------------------------------------------------------
    ("dev", {"network": {"vpcCidr": "8.0.0.0/16"}}, "mlplatform:network.vpcCidr", "not a private range"),
    ("dev", {"network": {"azCount": 5}}, "mlplatform:network.azCount", "less than or equal to 3"),
    ("prod", {"network": {"natGateways": "single"}}, "mlplatform:network.natGateways", "NAT gateway per AZ"),
    # cluster -------------------------------------------------------------------------------------------
    ("dev", {"cluster": {"name": "ml-platform-research-cluster-eu"}}, "mlplatform:cluster.name",
     "Fix: set cluster.name to at most 21 characters"),
    ("dev", {"nodePools": [{"name": "gpu-inference-a100-large", "kind": "gpu", "minSize": 0, "maxSize": 1}]},
     "mlplatform:nodePools[gpu-inference-a100-large].name", "shorten the pool name to at most 21 characters"),
    ("dev", {"cluster": {"version": "1.33"}}, "mlplatform:cluster", "cluster.addonVersions.kube-proxy"),
    ("dev", {"cluster": {"version": "1.35", "addonVersions": {"kube-proxy": "v1.34.1-eksbuild.2"}}},
     "mlplatform:cluster", "is built for Kubernetes 1.34"),
    ("prod", {"cluster": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}},
     "mlplatform:cluster.publicAccessCidrs", "open to 0.0.0.0/0"),
    ("dev", {"cluster": {"logTypes": ["api"]}}, "mlplatform:cluster.logTypes", "must stay enabled"),
    ("dev", {"cluster": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}},
     "mlplatform:cluster.publicAccessCidrs", "RFC 5737 documentation range"),
    ("staging", {"cluster": {"endpointPublicAccess": True, "publicAccessCidrs": ["52.94.76.0/24", "198.51.100.7/32"]}},
     "mlplatform:cluster.publicAccessCidrs", "RFC 5737 documentation range"),
    ("dev", {"cluster": {"adminPrincipalArns": ["arn:aws:iam::111122223333:role/mlplatform-dev-deploy"]}},
     "mlplatform:cluster.adminPrincipalArns", "pulumi-eks#2373"),
    ("prod", {"cluster": {"adminPrincipalArns": [ADMIN, ADMIN]}}, "mlplatform:cluster.adminPrincipalArns",
     "one access entry per principal"),
    # ci ------------------------------------------------------------------------------------------------
    ("prod", {"ci": {"runner": "external"}}, "mlplatform:ci.runner", "no preview or deploy could reach the private API"),
    ("dev", {"ci": {"repository": "not a repo"}}, "mlplatform:ci.repository", "is not a GitHub repository"),
    ("dev", {"ci": {"repository": ""}}, "mlplatform:ci", "needs the repository"),
    ("dev", {"ci": {"computeType": "BUILD_GENERAL1_HUGE"}}, "mlplatform:ci.computeType", "not a CodeBuild compute type"),
    ("dev", {"ci": {"buildTimeoutMinutes": 1}}, "mlplatform:ci.buildTimeoutMinutes", "greater than or equal to 5"),
    # nodePools -----------------------------------------------------------------------------------------
    ("dev", {"nodePools": [{"name": "gpu", "minSize": 3, "maxSize": 1}]}, "mlplatform:nodePools[gpu]",
     "minSize (3) > maxSize (1)"),
    ("dev", {"nodePools": [{"name": "cpu", "instanceTypes": ["g5.xlarge"]}]}, "mlplatform:nodePools[cpu]",
     "GPU instance types"),
    ("prod", {"nodePools": [{"name": "monitoring", "minSize": 1, "maxSize": 1}]},
     "mlplatform:nodePools[monitoring].maxSize", "2 replicas should run on separate nodes"),
    # tags, environment, region, protectStatefulResources, unknown keys ---------------------------------
    ("dev", {"tags": {"aws:owner": "me"}}, "mlplatform:tags", "not a valid AWS tag"),
    ("dev", {"tags": {"team": "x" * 300}}, "mlplatform:tags", "values of at most 256"),
    ("dev", {"environment": "production"}, "mlplatform:environment", "unknown environment 'production'"),
    ("qa", {}, "mlplatform:environment", "unknown environment 'qa'"),
    ("dev", {"aws:region": "mars-1"}, "mlplatform:region", "'mars-1' is not an AWS region"),
    ("prod", {"protectStatefulResources": False}, "mlplatform:protectStatefulResources", "must be protected"),
    ("dev", {"protectStatefulResources": "yes please"}, "mlplatform:protectStatefulResources", "valid boolean"),
    ("dev", {"observabilty": {"pool": "monitoring"}}, "mlplatform:observabilty", "unknown config key"),
]
