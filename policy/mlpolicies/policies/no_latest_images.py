"""no-latest-images: images are pinned to a tag other than latest, or to a digest."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from ..framework import workload_policy
from ..scheduling import container_label, iter_containers
from ..settings import Settings
from ..workloads import Workload

NAME = "no-latest-images"


def image_problem(image: str) -> str | None:
    """Why an image reference is mutable, or None if it is pinned."""
    if "@" in image:  # repo@sha256:... (with or without a tag) is immutable
        return None
    last_slash, last_colon = image.rfind("/"), image.rfind(":")
    if last_colon > last_slash:  # a colon before the last slash is a registry port
        return "uses the mutable tag :latest" if image[last_colon + 1:] == "latest" else None
    return "has no tag, which means :latest"


def check(workload: Workload, settings: Settings) -> Iterator[str]:
    for field, container in iter_containers(workload.pod):
        image = container.get("image")
        if not isinstance(image, str) or not image:
            continue  # unknown, or supplied by a runtime (KServe model containers)
        problem = image_problem(image)
        if problem:
            yield (f'{container_label(field, container)} image "{image}" {problem}; what runs would change '
                   f"under the same spec. Pin a version tag (repo:1.4.2) or a digest (repo@sha256:...).")


POLICY = workload_policy(
    name=NAME,
    description="Container images are pinned to a version tag or a digest; ':latest' and untagged images are rejected.",
    remediation="""
A mutable tag makes rollouts irreproducible (two replicas can run different code) and rollbacks
impossible. Reference a version tag or, better, a digest:

  image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/llm-server:1.4.2
  image: nvcr.io/nvidia/tritonserver@sha256:<digest>
""",
    check=check,
    severity=Severity.MEDIUM,
    tags=("hygiene", "supply-chain"),
)
