"""Tier 3 (minutes): a baked project against the team stack's real services, on 127.0.0.1.

PostgreSQL from Debian's packages, an S3 endpoint from moto's server, and `mlflow server` with the
PostgreSQL backend proxying artifacts to S3, with the same package pins as the stack's MLflow
image (deploy/mlflow/Dockerfile). The project is configured only through environment variables
and `dvc remote modify --local`: repro, push, wipe, pull, register, load the champion.
Every process is started here and stopped here, by PID.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
import yaml
from cookiecutter.main import cookiecutter

from tests.helpers import TEMPLATE, free_port, http_ok, wait_until

pytestmark = pytest.mark.slow

POSTGRES_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "stack-test", "AWS_SECRET_ACCESS_KEY": "stack-test-secret"}
DVC_BUCKET, ARTIFACT_BUCKET = "team-dvc", "team-mlflow"
MODEL = "team-classifier"


@contextmanager
def process(command: list[str], log: Path, **kwargs) -> Iterator[subprocess.Popen]:
    """Start a process in its own session; stop it (and only it and its children) afterwards."""
    with log.open("w") as sink:
        started = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True, **kwargs)  # fmt: skip
        try:
            yield started
        finally:
            if started.poll() is None:
                os.killpg(started.pid, signal.SIGTERM)
                try:
                    started.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(started.pid, signal.SIGKILL)
                    started.wait(timeout=30)
            assert_group_gone(started.pid, command[0])


def assert_group_gone(group: int, name: str, timeout: float = 15) -> None:
    """No process of the session we started (workers included) outlives the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    raise AssertionError(f"processes started with {name} are still running")


def server_pins() -> list[str]:
    """mlflow, psycopg and boto3 as pinned in the stack's MLflow image."""
    dockerfile = (TEMPLATE / "{{cookiecutter.project_slug}}/deploy/mlflow/Dockerfile").read_text()
    version = re.search(r"MLFLOW_VERSION=(\S+)", dockerfile).group(1)
    others = re.findall(r'"((?:psycopg\[binary\]|boto3)==[^"]+)"', dockerfile)
    return [f"mlflow=={version}", *others]


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A private PostgreSQL cluster (Debian's binaries) on a free port; its URI."""
    if not POSTGRES_BIN:
        pytest.fail("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
    if os.geteuid() != 0:
        pytest.skip("PostgreSQL must run as its own user; this test switches to it as root")
    bin_dir = POSTGRES_BIN[-1]
    # Outside pytest's tmp tree, whose root-only parents the postgres user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="team-stack-postgres-"))
    shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    as_postgres = {"user": "postgres", "group": "postgres", "cwd": root}
    initdb_command = [str(bin_dir / "initdb"), "--auth=trust", "-U", "postgres", "-D", str(data)]
    initdb = subprocess.run(initdb_command, capture_output=True, text=True, **as_postgres)
    assert initdb.returncode == 0, initdb.stdout + initdb.stderr
    port = free_port()
    command = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root),
               "-c", "listen_addresses=127.0.0.1"]  # fmt: skip
    try:
        with process(command, root / "postgres.log", **as_postgres) as server:
            ready = [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)]
            wait_until(lambda: subprocess.run(ready, capture_output=True).returncode == 0,
                       "postgres", alive=lambda: server.poll() is None)  # fmt: skip
            createdb = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                        "-U", "postgres", "mlflow"]  # fmt: skip
            subprocess.run(createdb, check=True, capture_output=True)
            yield f"postgresql://postgres@127.0.0.1:{port}/mlflow"
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def s3(tmp_path_factory) -> Iterator[str]:
    """moto's S3-compatible server with the DVC and artifact buckets; its endpoint URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    moto = Path(sys.executable).parent / "moto_server"
    with process([str(moto), "-H", "127.0.0.1", "-p", str(port)], log) as server:
        endpoint = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_ok(f"{endpoint}/moto-api/"), "moto S3",
                   alive=lambda: server.poll() is None)  # fmt: skip
        keys = {"aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}  # fmt: skip
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys)
        for bucket in (DVC_BUCKET, ARTIFACT_BUCKET):
            client.create_bucket(Bucket=bucket)
        yield endpoint


@pytest.fixture(scope="module")
def tracking_server(postgres, s3, tmp_path_factory) -> Iterator[str]:
    """`mlflow server`: PostgreSQL backend, artifacts proxied to S3; its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("mlflow") / "mlflow.log"
    pins = server_pins()
    command = ["uvx", "--from", pins[0], *(f"--with={pin}" for pin in pins[1:]), "mlflow",
               "server", "--host", "127.0.0.1", "--port", str(port),
               "--backend-store-uri", postgres,
               "--artifacts-destination", f"s3://{ARTIFACT_BUCKET}",
               "--serve-artifacts"]  # fmt: skip
    env = {**os.environ, **CREDENTIALS, "MLFLOW_S3_ENDPOINT_URL": s3,
           "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
           "UV_PYTHON_DOWNLOADS": "never"}  # fmt: skip
    env.pop("VIRTUAL_ENV", None)
    with process(command, log, env=env) as server:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_ok(f"{url}/health"), f"mlflow server ({log})",
                   alive=lambda: server.poll() is None, timeout=400)  # fmt: skip
        yield url


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A bake whose DVC remote is S3, after `make setup`."""
    output = tmp_path_factory.mktemp("team")
    answers = {"project_name": "Team Classifier", "dvc_remote": "s3",
               "dvc_remote_url": f"s3://{DVC_BUCKET}/team-classifier"}  # fmt: skip
    baked = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output),
                              extra_context=answers))  # fmt: skip
    run(baked, {}, "make", "setup")
    return baked


def run(project: Path, extra: dict[str, str], *command: str) -> str:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", **extra,
           "BENTOML_HOME": str(project.parent / "bentoml-home")}  # fmt: skip
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,
                            timeout=1200)  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)}:\n{output[-5000:]}"
    return output


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def test_project_runs_against_the_team_stack(project, tracking_server, s3):
    """repro -> dvc push -> wipe -> dvc pull -> register -> load models:/name@champion."""
    team = {**CREDENTIALS, "MLFLOW_TRACKING_URI": tracking_server}
    run(project, team, "uv", "run", "dvc", "remote", "modify", "--local", "storage",
        "endpointurl", s3)  # fmt: skip
    run(project, team, "make", "repro")
    run(project, team, "make", "push")

    outs = {
        out["path"]: out["md5"]
        for stage in yaml.safe_load((project / "dvc.lock").read_text())["stages"].values()
        for out in stage.get("outs", [])
        if out["path"].startswith(("data/", "models/"))
    }
    shutil.rmtree(project / ".dvc" / "cache")
    for path in outs:
        (project / path).unlink()
    run(project, team, "make", "pull")
    assert {path: md5(project / path) for path in outs} == outs

    output = run(project, team, "make", "register")
    assert "-> @champion" in output
    # A client of the proxied store needs the server's URL only: no bucket credentials.
    probe = (
        "import mlflow, pandas as pd;"
        f"m = mlflow.pyfunc.load_model('models:/{MODEL}@champion');"
        "x = pd.read_parquet('data/prepared/test.parquet').drop(columns='target').head(3);"
        "print('PREDICTIONS', len(m.predict(x)))"
    )
    client_env = {"MLFLOW_TRACKING_URI": tracking_server, "AWS_ACCESS_KEY_ID": "",
                  "AWS_SECRET_ACCESS_KEY": ""}  # fmt: skip
    assert "PREDICTIONS 3" in run(project, client_env, "uv", "run", "python", "-c", probe)
