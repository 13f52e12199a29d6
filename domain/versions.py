"""Every pinned version of the platform, in one place.

Bump a version here, run the tests (they check the pins are exact versions), then `pulumi preview`.
Kubernetes and the EKS add-ons move together: list what a new Kubernetes version supports with
`aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>`.
"""

from __future__ import annotations

from dataclasses import dataclass

KUBERNETES_VERSION = "1.34"


@dataclass(frozen=True)
class ChartPin:
    """A Helm chart pinned by repository and exact version."""

    chart: str
    version: str
    repository: str  # https:// Helm repository, or the oci:// registry path of the chart
    app_version: str = ""

    @property
    def is_oci(self) -> bool:
        return self.repository.startswith("oci://")

    @property
    def chart_ref(self) -> str:
        """What helm.v3.Release takes as `chart`: the name, or the full OCI reference."""
        return self.repository if self.is_oci else self.chart


# EKS managed add-ons for KUBERNETES_VERSION.
EKS_ADDONS: dict[str, str] = {
    "vpc-cni": "v1.20.4-eksbuild.1",
    "coredns": "v1.12.4-eksbuild.1",
    "kube-proxy": "v1.34.1-eksbuild.2",
    "aws-ebs-csi-driver": "v1.52.1-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.9-eksbuild.5",
}

CHARTS: dict[str, ChartPin] = {
    "gpu-operator": ChartPin("gpu-operator", "v26.7.0", "https://helm.ngc.nvidia.com/nvidia", "v26.7.0"),
    "cluster-autoscaler": ChartPin(
        "cluster-autoscaler", "9.59.0", "https://kubernetes.github.io/autoscaler", "1.35.0"
    ),
    "kube-prometheus-stack": ChartPin(
        "kube-prometheus-stack", "88.5.3", "https://prometheus-community.github.io/helm-charts", "v0.93.1"
    ),
    "keycloakx": ChartPin("keycloakx", "7.1.11", "https://codecentric.github.io/helm-charts", "26.5.6"),
    "mlflow": ChartPin("mlflow", "1.11.5", "https://community-charts.github.io/helm-charts", "3.15.1"),
    "zenml": ChartPin("zenml", "0.74.0", "oci://public.ecr.aws/zenml/zenml", "0.74.0"),
    "lakefs": ChartPin("lakefs", "1.12.16", "https://charts.lakefs.io", "1.97.0"),
    "aws-load-balancer-controller": ChartPin(
        "aws-load-balancer-controller", "3.5.0", "https://aws.github.io/eks-charts", "v3.5.0"
    ),
    # Event-driven autoscaling (ScaledObject/ScaledJob): serving scales on Prometheus and SQS signals.
    "keda": ChartPin("keda", "2.20.2", "https://kedacore.github.io/charts", "2.20.2"),
}

# Container images the program sets itself (charts pin the rest).
IMAGES: dict[str, str] = {
    # Cluster Autoscaler's minor version must match the cluster's Kubernetes minor version.
    "cluster-autoscaler": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.2",
    "keycloak": "quay.io/keycloak/keycloak:26.5.6",
    "postgres-client": "docker.io/library/postgres:17.6-alpine3.22",
    "mysql-client": "docker.io/library/mysql:8.4.6",
    "cuda-smoke-test": "nvcr.io/nvidia/cuda:12.9.1-base-ubuntu24.04",
    # MLOps services: the charts' own defaults, pinned here so that an upgrade is a reviewed change.
    "mlflow": "docker.io/burakince/mlflow:3.15.1",
    "zenml-server": "docker.io/zenmldocker/zenml-server:0.74.0",
    "lakefs": "docker.io/treeverse/lakefs:1.84.0",
}

# RDS engines of the services' databases: major versions, minor upgrades applied by RDS in the
# maintenance window. The client images above (postgres-client, mysql-client) match these majors.
DATABASE_ENGINES: dict[str, str] = {
    "postgres": "17",
    "mysql": "8.4",
}
