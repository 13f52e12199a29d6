"""The services in every stack, under mocks: buckets, databases, roles, secrets, releases, protection."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.services.keycloak import INTERNAL_URL
from components.services.platform_services import database_plan, port_forward_command, service_url
from domain.services import SERVICES
from domain.versions import CHARTS
from stacks.offline import SECRET_MASK, Evaluation, PlannedResource
from tests.conftest import STACKS, evaluate_stack

from .helpers import ALL_INGRESS, MOCK_SECRET_MARKER, RELEASE, SECRET, SERVICE_NAMESPACES, scan, settings, unwrap

BUCKET = "aws:s3/bucket:Bucket"
RDS = "aws:rds/instance:Instance"
SERVICE_CHARTS = {s.namespace: s.chart.chart for s in SERVICES}
BUCKET_SERVICES = tuple(s.name for s in SERVICES if s.bucket)


def children(ev: Evaluation, typ: str, parent_suffix: str) -> list[PlannedResource]:
    return [r for r in ev.of_type(typ) if r.parent.endswith(parent_suffix)]


def one(ev: Evaluation, typ: str, name: str) -> PlannedResource:
    matches = [r for r in ev.of_type(typ) if r.name == name]
    assert len(matches) == 1, f"{len(matches)} {typ} named {name}"
    return matches[0]


def service_releases(ev: Evaluation) -> dict[str, PlannedResource]:
    return {r.inputs["namespace"]: r for r in ev.of_type(RELEASE) if r.inputs.get("namespace") in SERVICE_NAMESPACES}


@pytest.fixture(params=STACKS)
def ev(request) -> Evaluation:
    return evaluate_stack(request.param)


def test_releases_are_pinned_in_their_namespaces(ev: Evaluation) -> None:
    releases = service_releases(ev)
    assert set(releases) == set(SERVICE_NAMESPACES)
    for namespace, release in releases.items():
        pin = CHARTS[SERVICE_CHARTS[namespace]]
        assert release.inputs["chart"] == pin.chart_ref and release.inputs["version"] == pin.version
        assert release.inputs["name"] == namespace and release.inputs["atomic"] is True


def test_namespaces_enforce_pod_security_and_default_deny(ev: Evaluation) -> None:
    namespaces = {r.inputs["metadata"]["name"]: r for r in ev.of_type("kubernetes:core/v1:Namespace")}
    expected = {"keycloak": "restricted", "mlflow": "restricted", "zenml": "restricted", "lakefs": "baseline",
                "platform-db": "restricted"}
    for name, level in expected.items():
        assert namespaces[name].inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == level
    policies = [r for r in ev.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                if r.inputs["metadata"]["namespace"] in expected]
    deny = {p.inputs["metadata"]["namespace"] for p in policies if p.inputs["metadata"]["name"] == "default-deny-ingress"}
    assert deny == set(expected)
    from_monitoring = {p.inputs["metadata"]["namespace"] for p in policies
                       if scan(p.inputs["spec"], '"kubernetes.io/metadata.name": "monitoring"')}
    assert from_monitoring == set(SERVICE_NAMESPACES)
    # Pipelines in team namespaces reach MLflow, ZenML and lakeFS (not Keycloak, not the bootstrap namespace).
    for team in (t.name for t in ev.settings.teams):
        allowed = {p.inputs["metadata"]["namespace"] for p in policies
                   if scan(p.inputs["spec"], f'"kubernetes.io/metadata.name": "{team}"')}
        assert allowed == {"mlflow", "zenml", "lakefs"}, team


def test_buckets_are_private_versioned_encrypted_tls_only(ev: Evaluation) -> None:
    protect = ev.settings.protect_stateful_resources
    assert protect == (ev.stack != "dev")
    buckets = [b for b in ev.of_type(BUCKET) if b.name != "services-access-logs"]  # tests/services/test_day_two_data.py
    assert {b.name for b in buckets} == {f"services-{s}-bucket" for s in BUCKET_SERVICES}
    for bucket in buckets:
        name = bucket.inputs["bucket"]
        assert name.startswith(f"mlplatform-{ev.stack}-") and name.endswith("-123456789012-us-west-2")
        assert bucket.inputs.get("forceDestroy", False) is False
        assert (bucket.protect, bucket.retain_on_delete) == (protect, protect)

        def config(typ: str, resource: str = bucket.name) -> dict[str, Any]:
            return one(ev, f"aws:s3/{typ}", resource).inputs

        assert config("bucketVersioning:BucketVersioning")["versioningConfiguration"] == {"status": "Enabled"}
        (rule,) = config("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")["rules"]
        assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms" and rule["bucketKeyEnabled"]
        assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith("arn:aws:kms:")
        block = config("bucketPublicAccessBlock:BucketPublicAccessBlock")
        assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                              "restrictPublicBuckets"))
        (deny,) = json.loads(config("bucketPolicy:BucketPolicy")["policy"])["Statement"]
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert deny["Resource"] == [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
        (lifecycle,) = config("bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"]
        assert lifecycle["noncurrentVersionExpiration"]["noncurrentDays"] > 0 and lifecycle["status"] == "Enabled"
        assert config("bucketOwnershipControls:BucketOwnershipControls")["rule"] == {
            "objectOwnership": "BucketOwnerEnforced"}


def test_databases(ev: Evaluation) -> None:
    protect = ev.stack != "dev"
    instances = {r.inputs["engine"]: r for r in ev.of_type(RDS)}
    assert set(instances) == {"postgres", "mysql"}  # shared layout: one per engine
    expected_class = {"dev": "db.t4g.micro", "staging": "db.t4g.small", "prod": "db.m7g.large"}[ev.stack]
    retention = {"dev": 1, "staging": 7, "prod": 30}[ev.stack]
    for engine, db in instances.items():
        i = db.inputs
        assert i["storageEncrypted"] is True and i["kmsKeyId"].startswith("arn:aws:kms:")
        assert i["publiclyAccessible"] is False and i["instanceClass"] == expected_class
        assert i["backupRetentionPeriod"] == retention
        assert i["multiAz"] is (ev.stack == "prod")
        assert i["deletionProtection"] is protect and i["skipFinalSnapshot"] is (not protect)
        assert (i.get("finalSnapshotIdentifier") == f"{i['identifier']}-final") if protect else \
            "finalSnapshotIdentifier" not in i
        assert (db.protect, db.retain_on_delete) == (protect, protect)
        assert db.masked_inputs["password"] == SECRET_MASK
        # Private subnets only, and the port open to the cluster's node security group only.
        subnets = one(ev, "aws:rds/subnetGroup:SubnetGroup", db.name).inputs["subnetIds"]
        assert subnets and all("private" in s for s in subnets)
        (rule,) = [r for r in ev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                   if r.name == f"{db.name}-from-nodes"]
        port = 5432 if engine == "postgres" else 3306
        assert rule.inputs["fromPort"] == rule.inputs["toPort"] == port == i["port"]
        assert rule.inputs["referencedSecurityGroupId"] == "sg-0c1a5e7e0000cluster"
        assert "cidrIpv4" not in rule.inputs
        params = one(ev, "aws:rds/parameterGroup:ParameterGroup", db.name).inputs["parameters"]
        assert {"rds.force_ssl" if engine == "postgres" else "require_secure_transport"} <= {p["name"] for p in params}


def test_data_key_rotates_and_is_protected_like_the_data(ev: Evaluation) -> None:
    (key,) = [k for k in ev.of_type("aws:kms/key:Key") if k.name == "services-data-key"]
    assert key.inputs["enableKeyRotation"] is True
    protect = ev.settings.protect_stateful_resources
    assert (key.protect, key.retain_on_delete) == (protect, protect)


def test_bootstrap_jobs_make_each_apps_database_before_its_release(ev: Evaluation) -> None:
    jobs = {r.name: r for r in ev.of_type("kubernetes:batch/v1:Job")}
    by_urn = ev.by_urn()
    releases = service_releases(ev)
    for service in SERVICE_NAMESPACES:
        job = jobs[f"services-{service}-db"]
        assert job.inputs["metadata"]["namespace"] == "platform-db"
        pod = job.inputs["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        engine = "mysql" if service == "zenml" else "postgres"
        assert container["image"] == {
            "postgres": "docker.io/library/postgres:17.11-alpine3.24@sha256:"
                        "b0f9560a2de083e2cc7382e75f808c7381a32852a7ec49117deedb300e552b24",
            "mysql": "docker.io/library/mysql:8.4.11@sha256:85b9bf2e29cf836ecb8c2a15a935d4ba0c606631dff1dd79531a11983c638f2a",
        }[engine]
        assert not scan(job.inputs, MOCK_SECRET_MARKER)
        refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e}
        assert refs == {f"{engine}-master", f"services-{service}-db-credentials"}
        release_deps = {by_urn[u].name for u in releases[service].all_dependencies if u in by_urn}
        assert job.name in release_deps


def test_each_role_reaches_only_its_own_bucket(ev: Evaluation) -> None:
    buckets = {b.name.split("-")[1]: b.inputs["bucket"] for b in ev.of_type(BUCKET)}
    roles = {r.name: r for r in ev.of_type("aws:iam/role:Role")}
    for service in BUCKET_SERVICES:
        policy = json.loads(one(ev, "aws:iam/rolePolicy:RolePolicy", f"services-{service}-irsa").inputs["policy"])
        s3_resources = {r for s in policy["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str)
                                                                 else s["Resource"]) if r.startswith("arn:aws:s3")}
        own = buckets[service]
        assert s3_resources == {f"arn:aws:s3:::{own}", f"arn:aws:s3:::{own}/*"}
        for other in set(buckets.values()) - {own}:
            assert other not in json.dumps(policy)
        trust = json.loads(roles[f"services-{service}-irsa"].inputs["assumeRolePolicy"])
        (statement,) = trust["Statement"]
        subjects = [v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")]
        assert subjects == [f"system:serviceaccount:{service}:{service}"]


def test_no_policy_allows_every_action_on_every_resource(ev: Evaluation) -> None:
    for policy in ev.of_type("aws:iam/rolePolicy:RolePolicy"):
        if not policy.name.startswith("services-"):
            continue
        for s in json.loads(policy.inputs["policy"])["Statement"]:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            assert "*" not in actions and not any(a.endswith(":*") for a in actions), (policy.name, s)
            if s["Resource"] == "*":
                assert all(a.split(":")[1].startswith(("Describe", "List", "Get")) for a in actions) or \
                    "Condition" in s, (policy.name, s)


def test_secrets_never_appear_outside_secrets(ev: Evaluation) -> None:
    """Generated values live only in Kubernetes Secrets and the RDS master password, all masked."""
    holders = {SECRET, RDS, "random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString"}
    for r in ev.resources:
        if r.type in holders:
            continue
        assert not scan(r.inputs, MOCK_SECRET_MARKER), f"{r.type} {r.name} carries a generated secret"
    for secret in ev.of_type(SECRET):
        if secret.inputs["metadata"]["namespace"] in (*SERVICE_NAMESPACES, "platform-db"):
            assert secret.masked_inputs["stringData"] == SECRET_MASK, secret.name
    for release in service_releases(ev).values():
        assert release.masked_inputs["values"] != SECRET_MASK  # plain values: nothing secret in them
    for key, value in ev.outputs.items():
        if key not in ev.secret_outputs:
            assert not scan(value, MOCK_SECRET_MARKER), key


def test_app_secrets_hold_what_the_charts_reference(ev: Evaluation) -> None:
    secrets = {(s.inputs["metadata"]["namespace"], s.inputs["metadata"]["name"]): unwrap(s.inputs["stringData"])
               for s in ev.of_type(SECRET)}
    assert set(secrets["keycloak", "keycloak-db"]) == {"username", "password"}
    assert set(secrets["keycloak", "keycloak-admin"]) == {"username", "password"}
    assert set(secrets["mlflow", "mlflow-db"]) == {"username", "password"}
    assert set(secrets["mlflow", "mlflow-admin"]) == {"username", "password"}
    assert set(secrets["mlflow", "mlflow-flask-server-secret-key"]) == {"MLFLOW_FLASK_SERVER_SECRET_KEY"}
    assert set(secrets["zenml", "zenml-db"]) == {"password"}
    lakefs = secrets["lakefs", "lakefs-secrets"]
    assert set(lakefs) == {"auth_encrypt_secret_key", "database_connection_string", "admin_access_key_id",
                           "admin_secret_access_key"}
    assert lakefs["database_connection_string"].startswith("postgres://lakefs:mock-")
    assert lakefs["database_connection_string"].endswith("/lakefs?sslmode=require")
    # The app's password in its namespace is the one the bootstrap Job sets.
    assert secrets["mlflow", "mlflow-db"]["password"] == secrets["platform-db", "services-mlflow-db-credentials"][
        "password"]


def test_keycloak_realm_imports_the_oidc_clients(ev: Evaluation) -> None:
    secret = next(s for s in ev.of_type(SECRET) if s.inputs["metadata"]["name"] == "keycloak-realm")
    realm = json.loads(unwrap(secret.inputs["stringData"])["platform-realm.json"])
    assert realm["realm"] == "platform" and realm["enabled"] is True
    clients = {c["clientId"]: c for c in realm["clients"]}
    assert set(clients) == {"grafana", "mlflow"}
    assert clients["grafana"]["redirectUris"] == ["http://localhost:3000/login/generic_oauth"]
    assert clients["grafana"]["secret"].startswith("mock-oidc-clients-grafana-")
    assert clients["grafana"]["publicClient"] is False
    assert clients["grafana"]["attributes"]["pkce.code.challenge.method"] == "S256"
    # Grafana's Secret in the monitoring namespace carries the same client secret.
    grafana = [s for s in ev.of_type(SECRET) if s.inputs["metadata"]["namespace"] == "monitoring"
               and scan(unwrap(s.inputs["stringData"]), clients["grafana"]["secret"])]
    assert grafana, "the Grafana OIDC client secret is not delivered to monitoring"


def test_database_plan_and_service_urls() -> None:
    shared = database_plan(settings("dev").services)
    assert [(p.name, p.engine, p.services) for p in shared] == [
        ("postgres", "postgres", ("keycloak", "mlflow", "lakefs")), ("mysql", "mysql", ("zenml",))]
    split = database_plan(settings("dev", services={"database": {"layout": "per_service"}}).services)
    assert [(p.name, p.engine) for p in split] == [("keycloak", "postgres"), ("mlflow", "postgres"),
                                                   ("zenml", "mysql"), ("lakefs", "postgres")]
    assert service_url(settings("dev").services_layer(), "keycloak") == "http://localhost:8080/auth/"
    assert service_url(settings("dev", services=ALL_INGRESS).services_layer(), "mlflow") == "https://mlflow.example.com/"


def test_port_forward_commands() -> None:
    assert port_forward_command("keycloak") == "kubectl -n keycloak port-forward svc/keycloak-http 8080:80"
    assert port_forward_command("mlflow") == "kubectl -n mlflow port-forward svc/mlflow 5000:80"
    assert port_forward_command("zenml") == "kubectl -n zenml port-forward svc/zenml 8081:80"
    assert port_forward_command("lakefs") == "kubectl -n lakefs port-forward svc/lakefs 8000:80"


# --- Variants -----------------------------------------------------------------------------------------

def test_without_ingress_there_is_no_load_balancer_controller() -> None:
    ev = evaluate_stack("dev")
    assert not ev.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    assert not [r for r in ev.of_type(RELEASE) if r.inputs["chart"] == "aws-load-balancer-controller"]


def test_ingress_adds_the_controller_and_one_alb_ingress_per_service() -> None:
    ev = evaluate_stack("prod", {"services": ALL_INGRESS})
    (controller,) = [r for r in ev.of_type(RELEASE) if r.inputs["chart"] == "aws-load-balancer-controller"]
    assert controller.inputs["version"] == CHARTS["aws-load-balancer-controller"].version
    assert controller.inputs["namespace"] == "kube-system"
    values = controller.inputs["values"]
    assert values["clusterName"] == "mlplatform-prod" and values["region"] == "us-west-2" and values["vpcId"]
    assert values["nodeSelector"] == {"node-pool": "system"}
    role = [r for r in ev.of_type("aws:iam/role:Role") if r.name == "services-alb-controller-irsa"]
    assert role and "kube-system:aws-load-balancer-controller" in role[0].inputs["assumeRolePolicy"]
    ingresses = {r.inputs["metadata"]["namespace"]: r for r in ev.of_type("kubernetes:networking.k8s.io/v1:Ingress")}
    assert set(ingresses) == set(SERVICE_NAMESPACES)
    backends = {"keycloak": ("keycloak-http", 80), "mlflow": ("mlflow", 80), "zenml": ("zenml", 80),
                "lakefs": ("lakefs", 80)}
    by_urn = ev.by_urn()
    for namespace, ingress in ingresses.items():
        annotations = ingress.inputs["metadata"]["annotations"]
        assert annotations["alb.ingress.kubernetes.io/certificate-arn"].startswith("arn:aws:acm:")
        assert annotations["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTPS": 443}]'
        assert annotations["alb.ingress.kubernetes.io/scheme"] == "internal"
        (rule,) = ingress.inputs["spec"]["rules"]
        assert rule["host"] == f"{namespace}.example.com"
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert (backend["name"], backend["port"]["number"]) == backends[namespace]
        assert controller.urn in {u for u in ingress.all_dependencies if u in by_urn}
    realm = json.loads(unwrap(next(s for s in ev.of_type(SECRET) if s.inputs["metadata"]["name"] == "keycloak-realm")
                              .inputs["stringData"])["platform-realm.json"])
    mlflow_client = next(c for c in realm["clients"] if c["clientId"] == "mlflow")
    assert mlflow_client["redirectUris"] == ["https://mlflow.example.com/callback"]
    keycloak = service_releases(ev)["keycloak"]
    env = {e["name"]: e.get("value") for e in yaml.safe_load(keycloak.inputs["values"]["extraEnv"])}
    assert env["KC_HOSTNAME"] == "https://keycloak.example.com/auth"


def test_per_service_database_layout() -> None:
    ev = evaluate_stack("staging", {"services": {"database": {"layout": "per_service"}}})
    identifiers = sorted(r.inputs["identifier"] for r in ev.of_type(RDS))
    assert identifiers == [f"mlplatform-staging-{s}" for s in ("keycloak", "lakefs", "mlflow", "zenml")]


def test_disabled_services_leave_nothing_behind() -> None:
    ev = evaluate_stack("dev", {"services": {"zenml": {"enabled": False}, "lakefs": {"enabled": False}}})
    assert set(service_releases(ev)) == {"keycloak", "mlflow"}
    assert [r.inputs["engine"] for r in ev.of_type(RDS)] == ["postgres"]
    assert {b.name for b in ev.of_type(BUCKET)} == {"services-mlflow-bucket", "services-access-logs"}
    none = evaluate_stack("dev", {"services": {s: {"enabled": False} for s in SERVICE_NAMESPACES}})
    assert not service_releases(none) and not none.of_type(RDS) and not none.of_type(BUCKET)
    assert not [r for r in none.resources if r.name.startswith("oidc-clients")]


def test_dedicated_pool_placement_reaches_pods_and_jobs() -> None:
    pool = {"name": "mlops", "kind": "cpu", "minSize": 1, "maxSize": 3,
            "taints": [{"key": "dedicated", "value": "mlops", "effect": "NoSchedule"}]}
    ev = evaluate_stack("dev", {"nodePools": [pool]})
    toleration = {"key": "dedicated", "operator": "Equal", "value": "mlops", "effect": "NoSchedule"}
    releases = service_releases(ev)
    for service in ("mlflow", "zenml", "lakefs"):
        values = releases[service].inputs["values"]
        assert values["nodeSelector"] == {"node-pool": "mlops"} and values["tolerations"] == [toleration]
    assert releases["keycloak"].inputs["values"]["nodeSelector"] == {"node-pool": "cpu"}
    job = next(r for r in ev.of_type("kubernetes:batch/v1:Job") if r.name == "services-lakefs-db")
    assert job.inputs["spec"]["template"]["spec"]["tolerations"] == [toleration]
    # The release waits for its pool's node group.
    by_urn = ev.by_urn()
    deps = {by_urn[u].name for u in releases["mlflow"].all_dependencies if u in by_urn}
    assert "pools-mlops" in deps and "pools-cpu" not in deps


def test_internal_issuer_uses_the_keycloak_service() -> None:
    assert INTERNAL_URL == "http://keycloak-http.keycloak.svc.cluster.local"


def test_service_monitors_wait_for_the_monitoring_crds() -> None:
    plain = evaluate_stack("dev")
    monitored = evaluate_stack("dev", {"services": {"serviceMonitors": True}})
    for ev, expected in ((plain, False), (monitored, True)):
        (crds,) = [r for r in ev.of_type(RELEASE) if r.inputs["chart"] == "prometheus-operator-crds"]
        (monitoring,) = [r for r in ev.of_type(RELEASE) if r.inputs["namespace"] == "monitoring"]
        for namespace, release in service_releases(ev).items():
            assert (crds.urn in release.all_dependencies) is expected, namespace
            assert monitoring.urn not in release.all_dependencies, namespace  # never the monitoring stack
            if namespace in ("keycloak", "mlflow"):
                assert release.inputs["values"]["serviceMonitor"]["enabled"] is expected
