"""A database and a user per application on a shared RDS instance, made by an idempotent Kubernetes Job.

RDS creates no application databases, so a Job (upstream postgres/mysql client image) connects as
the master user and creates what is missing. Every statement is safe to run again: CREATE only
behind `WHERE NOT EXISTS ... \\gexec` (PostgreSQL) or `IF NOT EXISTS` (MySQL); the password is
(re)set with ALTER, so a re-run converges. Passwords come from Kubernetes Secrets as environment
variables: they are never part of the script, the Job spec or a command line.

The Job runs in the bootstrap namespace, the only place holding the master credentials; the
application's namespace gets only its own user's password.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.kube import api_fields
from components.storage.database import DatabaseConnection
from domain.versions import pinned_image

from .common import NOBODY, RESTRICTED_CONTAINER, DatabaseServer, one_shot_job_spec, opaque_secret

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
APP_PASSWORD_ENV = "APP_PASSWORD"
APP_PASSWORD_KEY = "password"
MASTER_USERNAME_KEY = "username"
MASTER_PASSWORD_KEY = "password"
SCRIPT_DIR = "/bootstrap"


def _check_identifiers(user: str, databases: Sequence[str]) -> None:
    bad = [n for n in (user, *databases) if not IDENTIFIER.match(n)]
    if bad or not databases:
        raise ValueError(f"database/user names must match {IDENTIFIER.pattern} (got {bad or 'no databases'})")


def postgres_bootstrap_sql(user: str, databases: Sequence[str]) -> str:
    """psql script: role `user` (password from $APP_PASSWORD) owning each of `databases`.

    Runs as the RDS master user (rds_superuser with CREATEROLE/CREATEDB, not a superuser). The master
    joins the role so that it may make it the owner of a database (required since PostgreSQL 16).
    Other roles lose CONNECT on the databases: one application cannot open another's database.
    """
    _check_identifiers(user, databases)
    lines = [
        f"-- Idempotent bootstrap of role {user} and database(s) {', '.join(databases)}.",
        "\\set ON_ERROR_STOP on",
        f"\\getenv app_password {APP_PASSWORD_ENV}",
        f"SELECT format('CREATE ROLE %I WITH LOGIN', '{user}')",
        f"  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{user}')\\gexec",
        f"ALTER ROLE \"{user}\" WITH LOGIN PASSWORD :'app_password';",
        f"GRANT \"{user}\" TO CURRENT_USER;",
    ]
    for db in databases:
        lines += [
            f"SELECT format('CREATE DATABASE %I OWNER %I', '{db}', '{user}')",
            f"  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = '{db}')\\gexec",
            f"ALTER DATABASE \"{db}\" OWNER TO \"{user}\";",
            f"REVOKE ALL ON DATABASE \"{db}\" FROM PUBLIC;",
            f"GRANT ALL PRIVILEGES ON DATABASE \"{db}\" TO \"{user}\";",
        ]
    return "\n".join(lines) + "\n"


def mysql_bootstrap_sql(user: str, databases: Sequence[str]) -> str:
    """MySQL statements (the password is a shell variable expanded by the wrapper script)."""
    _check_identifiers(user, databases)
    lines = [
        f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '${{{APP_PASSWORD_ENV}}}' REQUIRE SSL;",
        f"ALTER USER '{user}'@'%' IDENTIFIED BY '${{{APP_PASSWORD_ENV}}}' REQUIRE SSL;",
    ]
    for db in databases:
        lines += [
            f"CREATE DATABASE IF NOT EXISTS {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci;",
            f"GRANT ALL PRIVILEGES ON {db}.* TO '{user}'@'%';",
        ]
    return "\n".join(lines) + "\n"


def mysql_bootstrap_script(user: str, databases: Sequence[str]) -> str:
    """sh script: a private client option file for the master login, then the SQL on stdin.

    Passwords are generated without quote or shell characters (alphanumeric), so expanding them in
    the here-document is safe; the option file keeps the master password off the command line.
    """
    return "\n".join([
        "#!/bin/sh",
        "set -eu",
        "umask 077",
        "cat > /tmp/client.cnf <<EOF",
        "[client]",
        "host=${DB_HOST}",
        "port=${DB_PORT}",
        "user=${MASTER_USERNAME}",
        "password=${MASTER_PASSWORD}",
        "ssl-mode=REQUIRED",
        "connect-timeout=10",
        "EOF",
        "mysql --defaults-extra-file=/tmp/client.cnf --batch <<EOF",
        mysql_bootstrap_sql(user, databases).rstrip("\n"),
        "EOF",
        f"echo 'database(s) {' '.join(databases)} and user {user} are in place'",
        "",
    ])


def bootstrap_files(engine: str, user: str, databases: Sequence[str]) -> dict[str, str]:
    if engine == "postgres":
        return {"bootstrap.sql": postgres_bootstrap_sql(user, databases)}
    return {"bootstrap.sh": mysql_bootstrap_script(user, databases)}


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def bootstrap_container(engine: str, host: str, port: int, master_secret: str, app_secret: str) -> dict[str, Any]:
    """The Job's container: client image, connection from env, secrets by reference only."""
    env: list[dict[str, Any]] = [{"name": "HOME", "value": "/tmp"}]
    if engine == "postgres":
        image = pinned_image("postgres-client")
        command = ["psql", "--no-psqlrc", f"--file={SCRIPT_DIR}/bootstrap.sql"]
        env += [{"name": "PGHOST", "value": host}, {"name": "PGPORT", "value": str(port)},
                {"name": "PGDATABASE", "value": "postgres"}, {"name": "PGSSLMODE", "value": "require"},
                {"name": "PGCONNECT_TIMEOUT", "value": "10"},
                _secret_env("PGUSER", master_secret, MASTER_USERNAME_KEY),
                _secret_env("PGPASSWORD", master_secret, MASTER_PASSWORD_KEY)]
    else:
        image = pinned_image("mysql-client")
        command = ["/bin/sh", f"{SCRIPT_DIR}/bootstrap.sh"]
        env += [{"name": "DB_HOST", "value": host}, {"name": "DB_PORT", "value": str(port)},
                _secret_env("MASTER_USERNAME", master_secret, MASTER_USERNAME_KEY),
                _secret_env("MASTER_PASSWORD", master_secret, MASTER_PASSWORD_KEY)]
    env.append(_secret_env(APP_PASSWORD_ENV, app_secret, APP_PASSWORD_KEY))
    return {
        "name": "bootstrap",
        "image": image,
        "command": command,
        "env": env,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "securityContext": {**RESTRICTED_CONTAINER, "readOnlyRootFilesystem": True,
                            "runAsUser": NOBODY, "runAsGroup": NOBODY},
        "volumeMounts": [{"name": "script", "mountPath": SCRIPT_DIR, "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }


def bootstrap_job_spec(container: dict[str, Any], script_config_map: str, placement: Mapping[str, Any],
                       annotations: Mapping[str, str]) -> dict[str, Any]:
    return one_shot_job_spec("database-bootstrap", container, placement, annotations, [
        {"name": "script", "configMap": {"name": script_config_map, "defaultMode": 0o444}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}])


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class AppDatabase(pulumi.ComponentResource):
    """One application's user and database(s) on an RDS instance, created by an idempotent Job.

    Exposes `user`, `databases`, `host`, `port`, `engine`, `password` (a Pulumi secret) and `job`
    (for `depends_on`: the application starts once its database exists).
    """

    password: pulumi.Output[str]
    host: pulumi.Output[str]

    def __init__(self, name: str, *, server: DatabaseServer, user: str, databases: Sequence[str],
                 namespace: str, placement: Mapping[str, Any], prerequisites: Sequence[pulumi.Resource] = (),
                 depends_on: Sequence[pulumi.Resource] = (), opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:services:AppDatabase", name, None, opts)
        instance = server.instance
        self.engine = instance.engine
        self.user = user
        self.databases = list(databases)
        self.port = instance.port
        self.host = instance.address
        self.password = random.RandomPassword(
            f"{name}-password", length=40, special=False, opts=pulumi.ResourceOptions(parent=self)).result

        secret_name = f"{name}-credentials"
        app_secret = opaque_secret(f"{name}-credentials", secret_name, namespace,
                                   {APP_PASSWORD_KEY: self.password}, parent=self, depends_on=prerequisites)
        files = bootstrap_files(self.engine, user, self.databases)
        script = k8s.core.v1.ConfigMap(
            f"{name}-script", metadata={"name": f"{name}-script", "namespace": namespace}, data=files,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(prerequisites)))
        # A change of script or password changes the pod template, so the Job is replaced and re-runs.
        # A truncated hash of a 40-character random password reveals nothing: it is left unsecret so that
        # the Job spec stays readable in previews.
        credentials_digest = pulumi.Output.unsecret(self.password.apply(_digest))
        annotations = credentials_digest.apply(lambda d: {
            "mlplatform.io/script-sha256": _digest("".join(files.values())),
            "mlplatform.io/credentials-sha256": d,
        })
        spec = pulumi.Output.all(self.host, annotations).apply(lambda a: bootstrap_job_spec(
            bootstrap_container(self.engine, a[0], self.port, server.master_secret, secret_name),
            f"{name}-script", placement, a[1]))
        self.job = k8s.batch.v1.Job(
            name,
            metadata={"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "mlplatform"}},
            spec=api_fields(spec),
            # The instance comes with the host input; the ingress rule that lets the nodes reach it does not.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[app_secret, script, instance.client_access,
                                                                 *prerequisites, *depends_on],
                                        replace_on_changes=["spec"], delete_before_replace=True))
        self.register_outputs({"user": user, "databases": self.databases})

    def connection(self, database: str | None = None) -> DatabaseConnection:
        """The user's connection to `database` (default: its first), ready once the Job has run."""
        return DatabaseConnection(engine=self.engine, host=self.host, port=self.port,
                                  database=database or self.databases[0], user=self.user,
                                  password=self.password, ready=(self.job,))
