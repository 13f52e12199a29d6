"""Realistic workloads for the platform, written the way a team would (Pulumi Python + pure spec builders).

They are not part of the platform stacks. They document how to use the GPU layer (pool selection,
taints, PriorityClasses, quotas, the autoscaler's safe-to-evict contract), and they are fixtures of the
policy pack: `GOOD` examples must pass it, each of `broken.BROKEN` must be rejected by a named policy.
See examples/README.md.
"""
