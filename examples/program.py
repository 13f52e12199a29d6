"""The examples as one Pulumi program (examples/__main__.py runs it; the tests run it under mocks)."""

from __future__ import annotations

import pulumi

from examples import inference, preprocessing, training
from examples.broken import deploy_broken
from examples.conventions import RESEARCH_NAMESPACE, SERVING_NAMESPACE
from examples.manifests import Manifest, deploy


def good_manifests(research: str = RESEARCH_NAMESPACE, serving: str = SERVING_NAMESPACE) -> list[Manifest]:
    """GPU inference (serving team), CPU training on spot and CPU preprocessing (research team)."""
    return [
        *inference.manifests("llm-server", serving),
        *training.manifests("resnet-finetune", research),
        *training.manifests("resnet-finetune-gpu", research, gpus=1),
        *preprocessing.manifests("feature-preprocess", research),
    ]


def build_examples(research: str = RESEARCH_NAMESPACE, serving: str = SERVING_NAMESPACE, *,
                   include_broken: bool = False,
                   opts: pulumi.ResourceOptions | None = None) -> dict[str, pulumi.Resource]:
    resources = deploy(good_manifests(research, serving), opts)
    if include_broken:
        resources.update(deploy_broken(opts))
    return resources
