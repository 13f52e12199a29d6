"""The GPU layer: NVIDIA gpu-operator, Cluster Autoscaler, PriorityClasses, team namespaces, smoke test.

`GpuStack` composes them; each piece is also usable on its own, and each has pure builders
(`gpu_operator_values`, `autoscaler_values`, `team_quota_spec`, ...) that the tests exercise directly.
"""

from components.gpu.autoscaler import (
    ClusterAutoscaler,
    autoscaler_args,
    autoscaler_policy,
    autoscaler_values,
    expander_priorities,
)
from components.gpu.operator import GpuOperator, gpu_operator_values, merged_tolerations, time_slicing_config_map
from components.gpu.report import gpu_plan_section
from components.gpu.scheduling import (
    BATCH_DEFAULT,
    INFERENCE_HIGH,
    PRIORITY_CLASSES,
    TRAINING_LOW,
    SchedulingPolicy,
    priority_class_specs,
)
from components.gpu.smoke_test import GpuSmokeTest, smoke_test_job_spec
from components.gpu.stack import GpuStack
from components.gpu.teams import TeamNamespace, team_limit_range_spec, team_quota_spec, team_role_rules
from domain.settings.gpu import GpuQuotaReport, gpu_quota_report

__all__ = [
    "BATCH_DEFAULT",
    "INFERENCE_HIGH",
    "PRIORITY_CLASSES",
    "TRAINING_LOW",
    "ClusterAutoscaler",
    "GpuOperator",
    "GpuQuotaReport",
    "GpuSmokeTest",
    "GpuStack",
    "SchedulingPolicy",
    "TeamNamespace",
    "autoscaler_args",
    "autoscaler_policy",
    "autoscaler_values",
    "expander_priorities",
    "gpu_operator_values",
    "gpu_plan_section",
    "gpu_quota_report",
    "merged_tolerations",
    "priority_class_specs",
    "smoke_test_job_spec",
    "team_limit_range_spec",
    "team_quota_spec",
    "team_role_rules",
    "time_slicing_config_map",
]
