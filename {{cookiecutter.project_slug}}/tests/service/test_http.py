"""Integration: the real `bentoml serve` on a free 127.0.0.1 port answers like the registry's
champion loaded through MLflow, survives a schema-driven fuzz run, then is stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from {{ cookiecutter.package_name }} import task, tracking
from {{ cookiecutter.package_name }}.vocabulary import CHAMPION
from tests.helpers import PROJECT_ROOT, SERVICE_MODEL, frame

STARTUP_TIMEOUT_S = 180
# The fuzz run's time budget (CI may shorten it; a release check may lengthen it).
FUZZ_SECONDS = int(os.environ.get("FUZZ_SECONDS", "30"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


@pytest.fixture(scope="module")
def server(champion: str) -> Iterator[str]:
    """`bentoml serve` of the service module, in its own process group, stopped afterwards."""
    port = free_port()
    service = "src.{{ cookiecutter.package_name }}.service:ModelService"
    command = [sys.executable, "-m", "bentoml", "serve", service]
    process = subprocess.Popen(  # noqa: S603 - fixed command
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "BENTO_MODEL_TAG": champion},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert process.poll() is None, "bentoml serve exited during startup"
            try:
                if get(f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(f"service not ready within {STARTUP_TIMEOUT_S} s")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_golden_payload_gets_the_champions_exact_prediction(server, example_row):
    """The logged input example, sent over HTTP, gets exactly the champion's prediction."""
    champion = tracking.load_model(f"models:/{SERVICE_MODEL}@{CHAMPION}")
    outputs = task.predict(champion, frame([example_row]))
    prediction = post(f"{server}/predict", {"features": example_row})
    assert prediction == task.records(outputs, task.classes(champion))[0]


def test_prometheus_metrics_count_the_request(server, example_row):
    """/metrics reports the predict calls served."""
    post(f"{server}/predict", {"features": example_row})
    status, text = get(f"{server}/metrics")
    assert status == 200
    assert 'endpoint="/predict"' in text


def test_schema_driven_fuzzing_finds_no_server_error_and_no_contract_violation(server, tmp_path):
    """Schemathesis, every check on, for FUZZ_SECONDS against the served description: no 5xx,
    no answer the description does not allow, no crash."""
    _, docs = get(f"{server}/docs.json")
    row_schema = tmp_path / "row.json"
    row_schema.write_text(json.dumps(json.loads(docs)["components"]["schemas"]["Row"]))
    config = PROJECT_ROOT / "tests" / "service" / "schemathesis.toml"
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
        "run", f"{server}/docs.json", "--max-time", str(FUZZ_SECONDS),
    ]  # fmt: skip
    env = {**os.environ, "FUZZ_ROW_SCHEMA": str(row_schema), "PYTHONPATH": str(PROJECT_ROOT)}
    run = subprocess.run(  # noqa: S603 - fixed command, loopback only
        command, cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=FUZZ_SECONDS + 120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
