"""EC2 instance types the platform knows about.

Settings validation uses this to tell GPU types from CPU types, and to know how many GPUs a
node brings (quota arithmetic, scale-from-zero hints for the autoscaler). Figures are from the
EC2 instance type pages. A type missing here is rejected with a message that points at this file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpu: int
    memory_gib: float
    gpus: int = 0
    gpu_model: str = ""
    gpu_vendor: str = ""  # "nvidia" or "amd"; only NVIDIA is supported by the GPU stack
    arch: str = "x86_64"

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def is_nvidia_gpu(self) -> bool:
        return self.gpus > 0 and self.gpu_vendor == "nvidia"


def _cpu(name: str, vcpu: int, mem: float, arch: str = "x86_64") -> InstanceType:
    return InstanceType(name, vcpu, mem, arch=arch)


def _nv(name: str, vcpu: int, mem: float, gpus: int, model: str, arch: str = "x86_64") -> InstanceType:
    return InstanceType(name, vcpu, mem, gpus=gpus, gpu_model=model, gpu_vendor="nvidia", arch=arch)


_TYPES: list[InstanceType] = [
    # General purpose / burstable
    _cpu("t3.medium", 2, 4), _cpu("t3.large", 2, 8), _cpu("t3.xlarge", 4, 16),
    _cpu("t3a.large", 2, 8), _cpu("t3a.xlarge", 4, 16),
    _cpu("m5.large", 2, 8), _cpu("m5.xlarge", 4, 16), _cpu("m5.2xlarge", 8, 32), _cpu("m5.4xlarge", 16, 64),
    _cpu("m5a.large", 2, 8), _cpu("m5a.xlarge", 4, 16), _cpu("m5a.2xlarge", 8, 32),
    _cpu("m6i.large", 2, 8), _cpu("m6i.xlarge", 4, 16), _cpu("m6i.2xlarge", 8, 32), _cpu("m6i.4xlarge", 16, 64),
    _cpu("m6a.large", 2, 8), _cpu("m6a.xlarge", 4, 16), _cpu("m6a.2xlarge", 8, 32), _cpu("m6a.4xlarge", 16, 64),
    _cpu("m7i.large", 2, 8), _cpu("m7i.xlarge", 4, 16), _cpu("m7i.2xlarge", 8, 32), _cpu("m7i.4xlarge", 16, 64),
    _cpu("m7a.large", 2, 8), _cpu("m7a.xlarge", 4, 16), _cpu("m7a.2xlarge", 8, 32),
    _cpu("m6g.large", 2, 8, "arm64"), _cpu("m6g.xlarge", 4, 16, "arm64"), _cpu("m7g.large", 2, 8, "arm64"),
    _cpu("m7g.xlarge", 4, 16, "arm64"), _cpu("m7g.2xlarge", 8, 32, "arm64"),
    # Compute / memory optimised
    _cpu("c6i.xlarge", 4, 8), _cpu("c6i.2xlarge", 8, 16), _cpu("c6i.4xlarge", 16, 32),
    _cpu("c6a.2xlarge", 8, 16), _cpu("c7i.xlarge", 4, 8), _cpu("c7i.2xlarge", 8, 16), _cpu("c7i.4xlarge", 16, 32),
    _cpu("c5.2xlarge", 8, 16), _cpu("c5.4xlarge", 16, 32),
    _cpu("r6i.large", 2, 16), _cpu("r6i.xlarge", 4, 32), _cpu("r6i.2xlarge", 8, 64),
    _cpu("r7i.large", 2, 16), _cpu("r7i.xlarge", 4, 32), _cpu("r7i.2xlarge", 8, 64),
    _cpu("r5.xlarge", 4, 32), _cpu("r5.2xlarge", 8, 64),
    # NVIDIA GPU
    _nv("g4dn.xlarge", 4, 16, 1, "T4"), _nv("g4dn.2xlarge", 8, 32, 1, "T4"), _nv("g4dn.12xlarge", 48, 192, 4, "T4"),
    _nv("g5.xlarge", 4, 16, 1, "A10G"), _nv("g5.2xlarge", 8, 32, 1, "A10G"), _nv("g5.4xlarge", 16, 64, 1, "A10G"),
    _nv("g5.12xlarge", 48, 192, 4, "A10G"), _nv("g5.48xlarge", 192, 768, 8, "A10G"),
    _nv("g6.xlarge", 4, 16, 1, "L4"), _nv("g6.2xlarge", 8, 32, 1, "L4"), _nv("g6.12xlarge", 48, 192, 4, "L4"),
    _nv("g6e.xlarge", 4, 32, 1, "L40S"), _nv("g6e.2xlarge", 8, 64, 1, "L40S"), _nv("g6e.12xlarge", 48, 384, 4, "L40S"),
    _nv("g5g.xlarge", 4, 8, 1, "T4G", "arm64"),
    _nv("p3.2xlarge", 8, 61, 1, "V100"), _nv("p3.8xlarge", 32, 244, 4, "V100"),
    _nv("p4d.24xlarge", 96, 1152, 8, "A100"), _nv("p4de.24xlarge", 96, 1152, 8, "A100-80GB"),
    _nv("p5.48xlarge", 192, 2048, 8, "H100"), _nv("p5e.48xlarge", 192, 2048, 8, "H200"),
    _nv("p5en.48xlarge", 192, 2048, 8, "H200"),
    # AMD GPU: known so that it is rejected for the NVIDIA stack with a clear message
    InstanceType("g4ad.xlarge", 4, 16, gpus=1, gpu_model="Radeon Pro V520", gpu_vendor="amd"),
]

INSTANCE_TYPES: dict[str, InstanceType] = {t.name: t for t in _TYPES}


def lookup(name: str) -> InstanceType | None:
    return INSTANCE_TYPES.get(name)
