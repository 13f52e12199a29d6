"""The database bootstrap: idempotent SQL built by pure functions, secrets only by reference."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from components.services.database_bootstrap import (
    APP_PASSWORD_ENV,
    bootstrap_container,
    bootstrap_files,
    bootstrap_job_spec,
    mysql_bootstrap_script,
    mysql_bootstrap_sql,
    postgres_bootstrap_sql,
)
from domain.versions import pinned_image


def statements(sql: str) -> list[str]:
    """psql statements: `;`-terminated SQL and `\\gexec`-terminated queries (meta-commands excluded)."""
    body = "\n".join(line for line in sql.splitlines() if not line.startswith(("--", "\\")))
    return [s.strip() for s in re.split(r";|\\gexec", body) if s.strip()]


def test_postgres_script_creates_only_what_is_missing() -> None:
    sql = postgres_bootstrap_sql("mlflow", ["mlflow", "mlflow_auth"])
    creates = [s for s in statements(sql) if "CREATE" in s.upper()]
    assert len(creates) == 3  # the role and two databases
    for statement in creates:
        # CREATE runs only through \gexec of a query that yields it when the object does not exist.
        assert statement.startswith("SELECT format('CREATE"), statement
        assert "WHERE NOT EXISTS (SELECT FROM pg_catalog." in statement, statement
    assert sql.count("\\gexec") == 3
    assert not re.search(r"(?im)^\s*(DROP|TRUNCATE|DELETE)\b", sql)


def test_postgres_script_converges_owner_password_and_access() -> None:
    sql = postgres_bootstrap_sql("keycloak", ["keycloak"])
    assert "\\set ON_ERROR_STOP on" in sql
    assert f"\\getenv app_password {APP_PASSWORD_ENV}" in sql
    assert "ALTER ROLE \"keycloak\" WITH LOGIN PASSWORD :'app_password';" in sql
    assert 'ALTER DATABASE "keycloak" OWNER TO "keycloak";' in sql
    assert 'REVOKE ALL ON DATABASE "keycloak" FROM PUBLIC;' in sql  # other apps' users cannot connect
    assert 'GRANT "keycloak" TO CURRENT_USER;' in sql  # lets the RDS master (not superuser) set the owner
    for create_db in (s for s in statements(sql) if "CREATE DATABASE" in s):
        assert "OWNER %I" in create_db


def test_mysql_sql_uses_if_not_exists_only() -> None:
    sql = mysql_bootstrap_sql("zenml", ["zenml"])
    lines = [line for line in sql.splitlines() if line.strip()]
    for line in lines:
        if line.upper().startswith("CREATE"):
            assert "IF NOT EXISTS" in line, line
    assert any(line.startswith("ALTER USER 'zenml'@'%' IDENTIFIED BY '${APP_PASSWORD}'") for line in lines)
    assert "GRANT ALL PRIVILEGES ON zenml.* TO 'zenml'@'%';" in lines
    assert "REQUIRE SSL" in sql
    assert not re.search(r"(?i)\bDROP\b", sql)


def test_mysql_script_keeps_passwords_off_the_command_line() -> None:
    script = mysql_bootstrap_script("zenml", ["zenml"])
    assert script.startswith("#!/bin/sh\nset -eu\numask 077\n")
    assert "password=${MASTER_PASSWORD}" in script and "mysql --defaults-extra-file=/tmp/client.cnf" in script
    assert "-p" not in script.split("mysql --defaults-extra-file", 1)[1].split("\n", 1)[0]
    assert "`" not in script  # no command substitution in the unquoted here-document


@pytest.mark.parametrize("bad", ["Mlflow", "ml-flow", "1db", "x; DROP TABLE t", ""])
def test_identifiers_are_validated(bad: str) -> None:
    with pytest.raises(ValueError):
        postgres_bootstrap_sql(bad, ["db"])
    with pytest.raises(ValueError):
        mysql_bootstrap_sql("user", [bad])


def test_bootstrap_files_per_engine() -> None:
    assert set(bootstrap_files("postgres", "lakefs", ["lakefs"])) == {"bootstrap.sql"}
    assert set(bootstrap_files("mysql", "zenml", ["zenml"])) == {"bootstrap.sh"}


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_container_reads_every_password_from_a_secret(engine: str) -> None:
    container = bootstrap_container(engine, "db.internal", 5432, "postgres-master", "mlflow-db-credentials")
    assert container["image"] == pinned_image(f"{engine}-client")
    literal = {e["name"]: e.get("value") for e in container["env"] if "value" in e}
    from_secret = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert not any("PASSWORD" in name for name in literal)
    assert from_secret[APP_PASSWORD_ENV] == {"name": "mlflow-db-credentials", "key": "password"}
    master = "PGPASSWORD" if engine == "postgres" else "MASTER_PASSWORD"
    assert from_secret[master] == {"name": "postgres-master", "key": "password"}
    if engine == "postgres":
        assert literal["PGSSLMODE"] == "require"
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False and security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]} and security["runAsNonRoot"] is True
    assert container["resources"]["requests"] == {"cpu": "50m", "memory": "64Mi"}


def test_job_spec_is_restricted_and_placed() -> None:
    where = {"nodeSelector": {"node-pool": "cpu"}, "tolerations": []}
    container = bootstrap_container("postgres", "h", 5432, "m", "a")
    spec = bootstrap_job_spec(container, "mlflow-db-script", where, {"a": "b"})
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["nodeSelector"] == {"node-pool": "cpu"}
    assert pod["volumes"][0]["configMap"]["name"] == "mlflow-db-script"
    assert spec["backoffLimit"] > 0 and spec["activeDeadlineSeconds"] > 0


# --- Optional: run the PostgreSQL script twice against a throwaway local server -----------------------

def _pg_bin(name: str) -> str | None:
    return shutil.which(name) or next((str(p) for p in Path("/usr/lib/postgresql").glob(f"*/bin/{name}")), None)


def _as_postgres(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kwargs)


@pytest.mark.skipif(not (_pg_bin("initdb") and _pg_bin("pg_ctl") and shutil.which("psql")),
                    reason="no local PostgreSQL binaries")
def test_postgres_script_runs_twice_against_a_real_server() -> None:
    if os.geteuid() == 0 and subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
        pytest.skip("running as root without a postgres user")
    # A short path readable by the server's user (the socket path is limited to ~100 characters).
    with tempfile.TemporaryDirectory(prefix="pgboot-", dir="/tmp") as tmp:
        tmp_path = Path(tmp)
        tmp_path.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(tmp_path, "postgres")
        _run_bootstrap_twice(tmp_path)


def _run_bootstrap_twice(tmp_path: Path) -> None:
    data, port = tmp_path / "data", "54391"
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    assert initdb and pg_ctl
    assert _as_postgres([initdb, "-D", str(data), "-U", "postgres", "-A", "trust"]).returncode == 0
    started = _as_postgres([pg_ctl, "-D", str(data), "-w", "-l", str(tmp_path / "log"), "-o",
                            f"-k {tmp_path} -p {port} -c listen_addresses=", "start"])
    assert started.returncode == 0, started.stderr
    try:
        def psql(user: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
            return subprocess.run(["psql", "-h", str(tmp_path), "-p", port, "-U", user, "-d", "postgres", "-X",
                                   "-v", "ON_ERROR_STOP=1", *args], capture_output=True, text=True, timeout=60,
                                  env={**os.environ, **(env or {})})

        # Like the RDS master: CREATEROLE and CREATEDB, not a superuser.
        assert psql("postgres", "-c", "CREATE ROLE platform_admin LOGIN CREATEROLE CREATEDB").returncode == 0
        script = tmp_path / "bootstrap.sql"
        script.write_text(postgres_bootstrap_sql("mlflow", ["mlflow", "mlflow_auth"]))
        other = tmp_path / "other.sql"
        other.write_text(postgres_bootstrap_sql("keycloak", ["keycloak"]))
        for _ in range(2):  # idempotent: the second run changes nothing and does not fail
            run = psql("platform_admin", "-f", str(script), env={APP_PASSWORD_ENV: "Passw0rdPassw0rd"})
            assert run.returncode == 0, run.stderr
        assert psql("platform_admin", "-f", str(other), env={APP_PASSWORD_ENV: "An0therPassw0rd"}).returncode == 0
        owners = psql("postgres", "-At", "-c", "SELECT datname || ':' || pg_get_userbyid(datdba) FROM pg_database "
                                               "WHERE datname IN ('mlflow','mlflow_auth','keycloak') ORDER BY 1")
        assert owners.stdout.split() == ["keycloak:keycloak", "mlflow:mlflow", "mlflow_auth:mlflow"]
        # One application's user cannot open another application's database.
        denied = subprocess.run(["psql", "-h", str(tmp_path), "-p", port, "-U", "keycloak", "-d", "mlflow", "-c",
                                 "SELECT 1"], capture_output=True, text=True, timeout=60)
        assert denied.returncode != 0 and "CONNECT" in denied.stderr
    finally:
        _as_postgres([pg_ctl, "-D", str(data), "-m", "fast", "stop"])
