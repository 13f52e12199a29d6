"""Every pinned version of the platform, in one place.

Bump a version here, run the tests (they check the pins are exact versions), then `pulumi preview`.
Each chart and image pin records its release date and where that date (and an image's digest) is
recorded; the offline plan warns about pins older than a year and images without a verified digest.
An image a chart also sets must equal the chart's own default (tests/fixtures/charts/defaults.json)
unless its pin says why not (`differs_from_chart`).
Kubernetes and the EKS add-ons move together: list what a new Kubernetes version supports with
`aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.pins import ChartPin, ImagePin
from domain.services import SERVICES

KUBERNETES_VERSION = "1.34"
STALE_AFTER_DAYS = 365


# EKS managed add-ons for KUBERNETES_VERSION (KUBERNETES_RELEASES below has them by minor version).
EKS_ADDONS: dict[str, str] = {
    "vpc-cni": "v1.20.4-eksbuild.1",
    "coredns": "v1.12.4-eksbuild.1",
    "kube-proxy": "v1.34.1-eksbuild.2",
    "aws-ebs-csi-driver": "v1.52.1-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.9-eksbuild.5",
}

CHARTS: dict[str, ChartPin] = {
    "gpu-operator": ChartPin("gpu-operator", "v26.7.0", "https://helm.ngc.nvidia.com/nvidia", "v26.7.0",
                             "2026-08-20", "NVIDIA/gpu-operator tag v26.7.0"),
    "cluster-autoscaler": ChartPin(
        "cluster-autoscaler", "9.59.0", "https://kubernetes.github.io/autoscaler", "1.35.0",
        "2026-07-13", "kubernetes/autoscaler b70816209e (chart version 9.59.0)"),
    "kube-prometheus-stack": ChartPin(
        "kube-prometheus-stack", "88.5.3", "https://prometheus-community.github.io/helm-charts", "v0.93.1",
        "2026-08-21", "prometheus-community/helm-charts ea930baee (chart version 88.5.3)"),
    # The Prometheus Operator CRDs on their own, for the same operator version as kube-prometheus-stack's
    # appVersion (both charts at prometheus-community/helm-charts@cf408a29 carry appVersion v0.93.1).
    "prometheus-operator-crds": ChartPin(
        "prometheus-operator-crds", "31.0.1", "https://prometheus-community.github.io/helm-charts", "v0.93.1",
        "2026-08-10", "prometheus-community/helm-charts 4529d7bb4 (chart version 31.0.1)"),
    # Resource metrics for CPU/memory HorizontalPodAutoscalers (kubernetes-sigs/metrics-server, tag
    # metrics-server-helm-chart-3.13.1).
    "metrics-server": ChartPin("metrics-server", "3.13.1", "https://kubernetes-sigs.github.io/metrics-server/", "0.8.1",
                               "2026-06-11", "kubernetes-sigs/metrics-server tag metrics-server-helm-chart-3.13.1"),
    "aws-load-balancer-controller": ChartPin(
        "aws-load-balancer-controller", "3.5.0", "https://aws.github.io/eks-charts", "v3.5.0",
        "2026-08-03", "aws/eks-charts 5239609 (chart version 3.5.0)"),
    # Event-driven autoscaling (ScaledObject/ScaledJob): serving scales on Prometheus and SQS signals.
    "keda": ChartPin("keda", "2.20.2", "https://kedacore.github.io/charts", "2.20.2",
                     "2026-07-31", "kedacore/charts cbb9bb8 (prepare v2.20.2 release)"),
    # The MLOps services' charts, declared with each service (domain/services.py).
    **{spec.chart.chart: spec.chart for spec in SERVICES},
}

def split_image(image: str) -> tuple[str, str]:
    """'registry/repo:tag' -> ('registry/repo', 'tag'); an image without a tag is an error."""
    repository, _, tag = image.rpartition(":")
    if not repository or "/" in tag:
        raise ValueError(f"image {image!r} is not pinned to a tag")
    return repository, tag


_REPO_INFO = "docker-library/repo-info"
IMAGE_PINS: dict[str, ImagePin] = {
    # Cluster Autoscaler's minor version must match the cluster's Kubernetes minor version.
    "cluster-autoscaler": ImagePin(
        "registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.2", "2025-11-26",
        "kubernetes/autoscaler tag cluster-autoscaler-1.34.2", chart="cluster-autoscaler",
        differs_from_chart="the chart defaults to its own appVersion (1.35.x); the image follows the cluster's "
                           "Kubernetes minor (1.34)"),
    "postgres-client": ImagePin(
        "docker.io/library/postgres:17.11-alpine3.24", "2026-09-17", f"{_REPO_INFO} repos/postgres/remote/"
        "17.11-alpine3.24.md @14ad5cc (image build)",
        "sha256:b0f9560a2de083e2cc7382e75f808c7381a32852a7ec49117deedb300e552b24",
        f"{_REPO_INFO} repos/postgres/remote/17.11-alpine3.24.md @14ad5cc17dd0e9a01079feefc7a59c24536f5291"),
    "mysql-client": ImagePin(
        "docker.io/library/mysql:8.4.11", "2026-09-12", f"{_REPO_INFO} repos/mysql/remote/8.4.11.md @0f0c69a "
        "(image build)",
        "sha256:85b9bf2e29cf836ecb8c2a15a935d4ba0c606631dff1dd79531a11983c638f2a",
        f"{_REPO_INFO} repos/mysql/remote/8.4.11.md @0f0c69aaf7d364b2fd5a00f9141c6b51de83f2cb"),
    "cuda-smoke-test": ImagePin("nvcr.io/nvidia/cuda:12.9.1-base-ubuntu24.04"),
    # The MLOps services' images, declared with each service (domain/services.py): the charts' own defaults,
    # pinned so that an upgrade is a reviewed change.
    **{name: pin for spec in SERVICES for name, pin in spec.images.items()},
}
# Tag references by name (what charts take as repository + tag).
IMAGES: dict[str, str] = {name: pin.reference for name, pin in IMAGE_PINS.items()}


def pinned_image(name: str) -> str:
    """The reference a pod spec the program writes itself runs: with the digest where one is verified."""
    return IMAGE_PINS[name].pinned


def pin_warnings(today: date) -> list[str]:
    """Pins older than a year, without a verified release date, or without a verified digest."""
    warnings: list[str] = []
    dated = [(f"chart {k} {p.version}", p.released) for k, p in CHARTS.items()]
    dated += [(f"image {k} {p.tag}", p.released) for k, p in IMAGE_PINS.items()]
    for what, released in dated:
        if not released:
            warnings.append(f"{what}: release date unverified")
        elif (today - date.fromisoformat(released)).days > STALE_AFTER_DAYS:
            warnings.append(f"{what}: released {released}, more than a year ago; check for a current release")
    warnings += [f"chart {k} {p.version}: values unverified ({p.values_unverified})" for k, p in CHARTS.items()
                 if p.values_unverified]
    warnings += [f"image {k} {p.tag}: digest unverified (pinned by tag only)" for k, p in IMAGE_PINS.items()
                 if not p.digest]
    return warnings


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
