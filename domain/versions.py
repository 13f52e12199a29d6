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


# EKS managed add-ons for KUBERNETES_VERSION (KUBERNETES_RELEASES below has them by minor version).
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
    # The Prometheus Operator CRDs on their own, for the same operator version as kube-prometheus-stack's
    # appVersion (both charts at prometheus-community/helm-charts@cf408a29 carry appVersion v0.93.1).
    "prometheus-operator-crds": ChartPin(
        "prometheus-operator-crds", "31.0.1", "https://prometheus-community.github.io/helm-charts", "v0.93.1"
    ),
    # Resource metrics for CPU/memory HorizontalPodAutoscalers (kubernetes-sigs/metrics-server, tag
    # metrics-server-helm-chart-3.13.1).
    "metrics-server": ChartPin("metrics-server", "3.13.1", "https://kubernetes-sigs.github.io/metrics-server/", "0.8.1"),
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

def split_image(image: str) -> tuple[str, str]:
    """'registry/repo:tag' -> ('registry/repo', 'tag'); an image without a tag is an error."""
    repository, _, tag = image.rpartition(":")
    if not repository or "/" in tag:
        raise ValueError(f"image {image!r} is not pinned to a tag")
    return repository, tag


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


@dataclass(frozen=True)
class KubernetesRelease:
    """The pins that move with a Kubernetes minor version: the EKS add-ons and Cluster Autoscaler (whose minor
    must equal the cluster's). `unverified` names pins carried over without a source that lists them for
    this minor; the offline plan prints them, and `aws eks describe-addon-versions --kubernetes-version <v>
    --addon-name <name>` settles them before a real upgrade."""

    addons: dict[str, str]
    autoscaler_image: str
    sources: tuple[str, ...] = ()
    unverified: tuple[str, ...] = ()


KUBERNETES_RELEASES: dict[str, KubernetesRelease] = {
    KUBERNETES_VERSION: KubernetesRelease(dict(EKS_ADDONS), IMAGES["cluster-autoscaler"]),
    "1.35": KubernetesRelease(
        {
            **EKS_ADDONS,
            # Latest add-on type versions for 1.35 in the EKS user guide (managing-kube-proxy, managing-coredns).
            "kube-proxy": "v1.35.3-eksbuild.13",
            "coredns": "v1.14.2-eksbuild.4",
        },
        # The cluster-autoscaler chart's own default for its appVersion 1.35.0 (chart 9.59.0, pinned above).
        "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.0",
        sources=(
            "https://docs.aws.amazon.com/ja_jp/eks/latest/userguide/managing-kube-proxy.md",
            "https://docs.amazonaws.cn/en_us/eks/latest/userguide/managing-coredns.md",
            "cluster-autoscaler chart 9.59.0 values.yaml image.tag",
        ),
        # Version-independent add-ons carried over from 1.34: no source here lists their 1.35 compatibility.
        unverified=("vpc-cni", "aws-ebs-csi-driver", "eks-pod-identity-agent"),
    ),
}


def kubernetes_release(version: str) -> KubernetesRelease | None:
    """The pins of a Kubernetes minor version, or None when domain/versions.py has none."""
    return KUBERNETES_RELEASES.get(version)
