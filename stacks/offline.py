"""Evaluate a stack's real program in-process, under Pulumi's mock runtime.

No CLI, no plugins, no credentials: every resource registration is answered here with realistic
outputs (ARNs, kubeconfig, OIDC issuer...) and recorded with its inputs, parent, dependencies and
options. The offline plan and the tests both use this.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto import resource_pb2

ACCOUNT_ID = "123456789012"
ROOT = Path(__file__).resolve().parent.parent
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_MASK = "[secret]"


@dataclass
class PlannedResource:
    urn: str
    type: str
    name: str
    inputs: dict[str, Any]  # secrets unwrapped (for tests)
    masked_inputs: dict[str, Any]  # secrets replaced by SECRET_MASK (for printing)
    outputs: dict[str, Any]
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    custom: bool = True
    remote: bool = False  # a multi-language component (pulumi_eks), a single resource under mocks
    provider: str = ""
    ignore_changes: list[str] = field(default_factory=list)

    @property
    def is_resource(self) -> bool:
        """A resource the engine creates (custom, or a remote component such as eks.Cluster)."""
        return self.custom or self.remote

    @property
    def all_dependencies(self) -> set[str]:
        deps = set(self.dependencies)
        for urns in self.property_dependencies.values():
            deps.update(urns)
        return deps


def _mask(value: Any) -> Any:
    """Walk a serialized property struct: hide secrets, turn resource references into URNs."""
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            return SECRET_MASK
        if sig == _RESOURCE_SIG:
            return value.get("urn", "")
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if value == _UNKNOWN:
        return "[unknown]"
    return value


def _arn(service: str, resource: str, region: str = "us-west-2") -> str:
    scope = "" if service in ("iam", "s3") else region
    return f"arn:aws:{service}:{scope}:{'' if service == 's3' else ACCOUNT_ID}:{resource}"


def _kubeconfig(name: str, endpoint: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": "LS0tLS1CRUdJTi0tLS0t"}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "users": [{"name": name, "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                     "command": "aws", "args": ["eks", "get-token", "--cluster-name", name]}}}],
    }


class PlatformMocks(pulumi.runtime.Mocks):
    """Realistic outputs for the resource types and invokes the platform uses."""

    def __init__(self, region: str = "us-west-2", live_node_groups: dict[str, int] | None = None,
                 stack_outputs: dict[str, Any] | None = None):
        self.region = region
        # Node groups of a live cluster (name -> desired size), as eks:ListNodegroups/DescribeNodegroup see
        # them; empty: a new stack.
        self.live_node_groups = dict(live_node_groups or {})
        self.inputs_by_name: dict[tuple[str, str], dict[str, Any]] = {}
        # What a StackReference to the platform stack reads (a team project's plan evaluates the platform first).
        self.stack_outputs = dict(stack_outputs or {})

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        # Registrations run on several threads: key the inputs, never keep "the last one".
        self.inputs_by_name[(args.typ, args.name)] = inputs
        name, typ = args.name, args.typ
        rid = f"{name}-id"
        out: dict[str, Any] = {**inputs}
        if typ == "pulumi:pulumi:StackReference":
            out.update({"outputs": self.stack_outputs, "secretOutputNames": []})
        elif typ == "eks:index:Cluster":
            cluster_name = inputs.get("name", name)
            endpoint = f"https://{cluster_name.upper()}0123456789.gr7.{self.region}.eks.amazonaws.com"
            issuer = f"oidc.eks.{self.region}.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
            kubeconfig = _kubeconfig(cluster_name, endpoint)
            out.update({
                "kubeconfig": kubeconfig,
                "kubeconfigJson": json.dumps(kubeconfig),
                "oidcProviderArn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer}",
                "oidcProviderUrl": issuer,
                "oidcIssuer": issuer,
                "clusterSecurityGroupId": "sg-0c1a5e7e0000cluster",
                "nodeSecurityGroupId": "sg-0c1a5e7e00000nodes",
            })
        elif typ == "aws:iam/role:Role":
            out.update({"arn": _arn("iam", f"role/{inputs.get('name', name)}"), "name": inputs.get("name", name)})
        elif typ == "aws:iam/policy:Policy":
            out.update({"arn": _arn("iam", f"policy/{inputs.get('name', name)}")})
        elif typ == "aws:kms/key:Key":
            out.update({"arn": _arn("kms", f"key/{rid}"), "keyId": rid})
        elif typ.startswith("aws:s3/bucket"):
            bucket = inputs.get("bucket", name)
            out.update({"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "id": bucket})
            rid = bucket
        elif typ == "aws:rds/instance:Instance":
            host = f"{inputs.get('identifier', name)}.abcdefghijkl.{self.region}.rds.amazonaws.com"
            port = 3306 if str(inputs.get("engine", "")).startswith("mysql") else 5432
            out.update({"address": host, "endpoint": f"{host}:{port}", "port": port,
                        "arn": _arn("rds", f"db:{inputs.get('identifier', name)}")})
        elif typ == "aws:rds/cluster:Cluster":
            host = f"{inputs.get('clusterIdentifier', name)}.cluster-abcdefghijkl.{self.region}.rds.amazonaws.com"
            out.update({"endpoint": host, "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
                        "port": 5432, "arn": _arn("rds", f"cluster:{name}")})
        elif typ.startswith("random:index/random"):
            out.update({"result": f"mock-{name}-Zq9x7Kp2Lm4Nw8Rt", "hex": "00ff" * 16, "b64Std": "bW9jaw=="})
        elif typ == "aws:ec2/launchTemplate:LaunchTemplate":
            out.update({"latestVersion": 1, "arn": _arn("ec2", f"launch-template/lt-{rid}")})
        elif typ == "aws:sqs/queue:Queue":
            queue = inputs.get("name", name)
            out.update({"arn": _arn("sqs", queue, self.region),
                        "url": f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT_ID}/{queue}"})
        elif typ == "aws:ec2/eip:Eip":
            out.update({"publicIp": "198.51.100.10", "allocationId": f"eipalloc-{rid}"})
        elif typ.startswith("aws:"):
            out.setdefault("arn", _arn(typ.split(":")[1].split("/")[0], f"{name}"))
        elif typ.startswith("kubernetes:"):
            meta = dict(inputs.get("metadata") or {})
            meta.setdefault("name", name)
            out["metadata"] = meta
            if typ == "kubernetes:helm.sh/v3:Release":
                out["status"] = {"status": "deployed", "name": inputs.get("name", name),
                                 "namespace": inputs.get("namespace", "default"), "version": inputs.get("version", "")}
        return rid, out

    def call(self, args: pulumi.runtime.MockCallArgs):
        token, a = args.token, args.args
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            # As AWS answers for an account opted into a Local Zone: it sorts first unless filtered out.
            zones = [(f"{self.region}-lax-1a", "opted-in"), *((f"{self.region}{s}", "opt-in-not-required") for s in "abcd")]
            wanted = {tuple(f.get("values") or ()) for f in a.get("filters") or [] if f.get("name") == "opt-in-status"}
            names = [n for n, status in zones if not wanted or any(status in values for values in wanted)]
            return {"names": names, "zoneIds": [f"usw2-az{i}" for i in range(1, len(names) + 1)], "id": self.region}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci", "userId": "AIDA0"}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com"}
        if token == "aws:eks/getNodeGroups:getNodeGroups":
            return {"clusterName": a.get("clusterName"), "names": sorted(self.live_node_groups), "id": "groups"}
        if token == "aws:eks/getNodeGroup:getNodeGroup":
            size = self.live_node_groups[a["nodeGroupName"]]
            return {"clusterName": a.get("clusterName"), "nodeGroupName": a["nodeGroupName"],
                    "scalingConfigs": [{"desiredSize": size, "minSize": 0, "maxSize": size}]}
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region}
        return dict(a)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also recording parent, dependencies and options of every registration."""

    def __init__(self, mocks: PlatformMocks):
        super().__init__(mocks)
        self.planned: list[PlannedResource] = []

    def GetDeploymentInfo(self, request):
        # Without resource references, a resource passed as an input (the cluster given to a node
        # group) is sent as its URN. Rehydrating references on the mock's worker threads races
        # with the main event loop ("attached to a different loop").
        info = super().GetDeploymentInfo(request)
        features = [f for f in info.supportedFeatures
                    if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        raw = json_format.MessageToDict(request.object, preserving_proto_field_name=True)
        registration = self.resources[response.urn]
        self.planned.append(PlannedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            inputs=self.mocks.inputs_by_name.get((request.type, request.name), {}),
            masked_inputs=_mask(raw),
            outputs=dict(registration.state or {}),
            parent=request.parent,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            custom=bool(request.custom),
            remote=bool(request.remote),
            provider=request.provider,
            ignore_changes=list(request.ignoreChanges),
        ))
        return response


@dataclass
class Evaluation:
    stack: str
    settings: Any
    resources: list[PlannedResource]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    project: str = "mlplatform"
    project_dir: Path | None = None  # a team project's directory (None: the platform)

    def of_type(self, typ: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == typ]

    def named(self, name: str) -> PlannedResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def by_urn(self) -> dict[str, PlannedResource]:
        return {r.urn: r for r in self.resources}


GENERATED_SUFFIX = "20261130094657123400000001"  # what the AWS provider appends to a name prefix


def live_node_groups(ev: Evaluation) -> dict[str, int]:
    """The node groups the planned stack would have once deployed (name -> desired size), to evaluate a change
    to a live stack (evaluate(..., live_node_groups=...))."""
    return {f"{r.inputs['nodeGroupNamePrefix']}{GENERATED_SUFFIX}": int(r.inputs["scalingConfig"]["desiredSize"])
            for r in ev.of_type("eks:index:ManagedNodeGroup")}


def run_program(build: Callable[[], dict[str, Any]], monitor: RecordingMonitor) -> tuple[dict[str, Any], set[str]]:
    """Run `build` (it registers resources and returns outputs) in the mock runtime; the resolved outputs and
    the names of the secret ones. An exception carries `planned`: the resources registered before it."""
    resolved: dict[str, Any] = {}
    secret: set[str] = set()

    def program():
        outputs = build()

        async def collect() -> None:
            for key, output in outputs.items():
                out = pulumi.Output.from_input(output)
                resolved[key] = await out.future()
                if await out.is_secret():
                    secret.add(key)

        return collect()

    try:
        pulumi.runtime.test(program)()
    except Exception as err:
        # What was registered before the failure: an invalid config must stop the program before any resource.
        err.planned = list(monitor.planned)  # type: ignore[attr-defined]
        raise
    return resolved, secret


def read_stack_config(stack: str, root: Path = ROOT, path: str | Path | None = None) -> tuple[dict[str, Any], list[str]]:
    """Read Pulumi.<stack>.yaml as the engine would hand it to the program: key -> JSON string.

    `secure:` values cannot be decrypted offline; they become a placeholder and are marked secret.
    """
    path = Path(path) if path else root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack config {path}. Fix: create it, or pick one of "
                                f"{sorted(p.name[7:-5] for p in root.glob('Pulumi.*.yaml'))}.")
    doc = yaml.safe_load(path.read_text()) or {}
    config: dict[str, Any] = {}
    secret_keys: list[str] = []
    for key, value in (doc.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            secret_keys.append(key)
            value = "offline-placeholder-secret"
        config[key] = value if isinstance(value, str) else json.dumps(value)
    return config, secret_keys


def evaluate(stack: str, config: dict[str, Any] | None = None, secret_keys: list[str] | None = None,
             live_node_groups: dict[str, int] | None = None) -> Evaluation:
    """Run the platform program for `stack` under mocks and return everything it planned.

    `live_node_groups` (node group name -> desired size) simulates a deployed cluster's node groups.
    `config` maps full keys (`mlplatform:nodePools`) to values; None reads Pulumi.<stack>.yaml.
    Raises SettingsError (before any resource is registered) when the settings are invalid. An exception
    raised by the program carries `planned`: the resources registered before it.
    """
    from domain.settings import settings_from_pulumi_config
    from stacks.program import build_outputs

    if config is None:
        config, secret_keys = read_stack_config(stack)
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    region = config.get("aws:region", "us-west-2")
    if region.startswith('"'):  # a JSON-encoded string, as tests may pass it
        region = json.loads(region)
    mocks = PlatformMocks(region=region, live_node_groups=live_node_groups)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="mlplatform", stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config, secret_keys or [])

    holder: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        holder["settings"] = settings = settings_from_pulumi_config()
        return build_outputs(settings)

    resolved, secret_outputs = run_program(build, monitor)
    return Evaluation(stack, holder.get("settings"), list(monitor.planned), resolved, secret_outputs)


def project_name(project_dir: Path) -> str:
    return str((yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {})["name"])


def evaluate_project(project_dir: str | Path, stack: str) -> Evaluation:
    """Run a team project's program (`<project_dir>/__main__.py`) under mocks, on top of its platform stack.

    The project's `platformStack` config names the platform stack: it is evaluated first, and its outputs
    answer the project's StackReference. The Evaluation carries the platform's settings (pools, prices).
    """
    import runpy

    project_dir = Path(project_dir).resolve()
    project = project_name(project_dir)
    config, secret_keys = read_stack_config(stack, root=project_dir)
    platform_stack = config.get(f"{project}:platformStack")
    if not platform_stack:
        raise FileNotFoundError(f"{project_dir.name}/Pulumi.{stack}.yaml has no {project}:platformStack. Fix: name "
                                "the platform stack the project deploys onto.")
    platform = evaluate(platform_stack)
    mocks = PlatformMocks(region=platform.settings.region, stack_outputs=platform.outputs)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config, secret_keys)

    def build() -> dict[str, Any]:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")
        return dict(getattr(pulumi.runtime.settings.get_root_resource(), "outputs", {}) or {})  # pulumi.export

    exports, secret_exports = run_program(build, monitor)
    return Evaluation(stack, platform.settings, list(monitor.planned), exports, secret_exports,
                      project=project, project_dir=project_dir)
