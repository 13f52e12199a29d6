"""The init container's program: resolve a registered MLflow model to its artifacts and copy them from S3.

Shipped verbatim in a ConfigMap and run with the MLflow image's Python (it has `mlflow` and `boto3`). It
asks the tracking server (MLFLOW_TRACKING_URI, basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD) which
version an alias points to and where that version's artifacts are (`get_model_version_download_uri`), then
reads them straight from the artifact bucket with the pod's IRSA role, which may read ALLOWED_PREFIX only.
The platform's MLflow proxies artifacts (`mlflow-artifacts:/<path>` = s3://<bucket>/<ARTIFACTS_PATH>/<path>).

Environment: MODEL_NAME, MODEL_VERSION or MODEL_ALIAS, ARTIFACT_BUCKET, ARTIFACTS_PATH, ALLOWED_PREFIX,
TARGET_DIR; SHARED=1 writes TARGET_DIR/<name>/<version> once (atomic rename) for a shared volume.
Only the standard library is imported at module level, so the tests import it without mlflow.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse


def artifact_key_prefix(download_uri: str, bucket: str, artifacts_path: str) -> str:
    """The S3 key prefix (no trailing slash) of a version's artifacts, from its download URI."""
    parsed = urlparse(download_uri)
    if parsed.scheme == "mlflow-artifacts":
        return "/".join(p for p in (artifacts_path.strip("/"), parsed.path.strip("/")) if p)
    if parsed.scheme == "s3":
        if parsed.netloc != bucket:
            raise ValueError(f"{download_uri} is outside the artifact bucket {bucket}")
        return parsed.path.strip("/")
    raise ValueError(f"{download_uri}: unsupported artifact location (expected mlflow-artifacts:/ or s3://)")


def within(prefix: str, allowed: str) -> bool:
    allowed = allowed.strip("/")
    return prefix == allowed or prefix.startswith(allowed + "/")


def target_directory(root: str, name: str, version: str, shared: bool) -> str:
    return os.path.join(root, name, version) if shared else os.path.join(root, "model")


def main() -> int:  # pragma: no cover - runs in the init container
    import boto3
    from mlflow import MlflowClient

    env = os.environ
    name = env["MODEL_NAME"]
    client = MlflowClient()
    version = env.get("MODEL_VERSION") or client.get_model_version_by_alias(name, env["MODEL_ALIAS"]).version
    uri = client.get_model_version_download_uri(name, str(version))
    bucket = env["ARTIFACT_BUCKET"]
    prefix = artifact_key_prefix(uri, bucket, env["ARTIFACTS_PATH"])
    if not within(prefix, env["ALLOWED_PREFIX"]):
        print(f"models:/{name}/{version} lives at {prefix}, outside {env['ALLOWED_PREFIX']} (experimentId of the "
              "ModelService); refusing.", file=sys.stderr)
        return 1
    shared = env.get("SHARED") == "1"
    target = target_directory(env["TARGET_DIR"], name, str(version), shared)
    if os.path.exists(os.path.join(target, ".complete")):
        print(f"models:/{name}/{version} already in {target}")
        return 0
    partial = f"{target}.partial-{os.getpid()}"
    s3 = boto3.client("s3")
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for obj in page.get("Contents", []):
            path = os.path.join(partial, obj["Key"][len(prefix) + 1:])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            s3.download_file(bucket, obj["Key"], path)
            count += 1
    if not count:
        print(f"no artifacts under s3://{bucket}/{prefix}", file=sys.stderr)
        return 1
    open(os.path.join(partial, ".complete"), "w").close()
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.rename(partial, target)  # atomic: another pod finishing first leaves its copy in place
    except OSError:
        if not os.path.exists(os.path.join(target, ".complete")):
            raise
    print(f"models:/{name}/{version}: {count} files from s3://{bucket}/{prefix} -> {target}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
