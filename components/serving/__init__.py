"""Model serving on the platform: ModelService (online with canaries, or batch from zero) and ProcessingService.

- `args.py`: typed, validated arguments (errors before any resource);
- `specs.py`: pure builders (pod specs, KEDA triggers, ALB actions, IAM policies, SQS queue settings);
- `model_fetch.py`: the init container's program (MLflow registry -> S3 -> model volume);
- `component.py`: the ComponentResources.
"""

from .args import (
    BatchScaling,
    IngressArgs,
    ModelRef,
    ModelServiceArgs,
    ModelVersion,
    ModelVolume,
    OnlineScaling,
    ProcessingServiceArgs,
    Replicas,
    ServingArgsError,
    placement_problems,
)
from .component import ModelService, PlatformEndpoints, ProcessingService, validate_model_service

__all__ = [
    "BatchScaling",
    "IngressArgs",
    "ModelRef",
    "ModelService",
    "ModelServiceArgs",
    "ModelVersion",
    "ModelVolume",
    "OnlineScaling",
    "PlatformEndpoints",
    "ProcessingService",
    "ProcessingServiceArgs",
    "Replicas",
    "ServingArgsError",
    "placement_problems",
    "validate_model_service",
]
