"""`make loadtest`: serve the latest bento on 127.0.0.1, load it with locust, print a table.

Bounded: each scenario runs a few seconds, against loopback only, and the servers are stopped
by process group at the end. Prints cold start, then req/s, p50, p99, errors and server memory
per scenario as a markdown table (ready for a pull-request report).

The prediction log's cost is measured in the same run: a second server with PREDICTION_LOG=off
answers the 32-client single-row scenario too, alternating with the logging one LOG_ROUNDS (5)
times, and each row shows the median round, so a burst of other work on the machine does not
decide the comparison (the log's budget: at least 90 % of the req/s and a p99 within 1.2 times,
logging on). The logging server writes into a temporary folder.

`make soak` (`--soak`): one long run instead, SOAK_SECONDS (60) at SOAK_CLIENTS (32) single-row
clients, reporting errors and the server's memory at start and end: a leak shows as growth.
"""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
import pyarrow as pa

# The bento to serve, `<name>:<version>`; `make loadtest` passes the latest of the project's.
BENTO = os.environ.get("BENTO", "")
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "6"))
SOAK_SECONDS = int(os.environ.get("SOAK_SECONDS", "60"))
SOAK_CLIENTS = int(os.environ.get("SOAK_CLIENTS", "32"))
LOG_ROUNDS = int(os.environ.get("LOG_ROUNDS", "5"))
BATCH_ROWS = 1000
JSON = "application/json"
ARROW = "application/vnd.apache.arrow.stream"
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def golden_row() -> dict[str, float]:
    import bentoml

    model_tag = bentoml.get(BENTO).info.services[0].models[0].tag
    row = bentoml.models.get(model_tag).info.metadata["input_example"][0]
    # A missing value is NaN in the metadata and null on the wire.
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def post(url: str, body: bytes, content_type: str) -> int:
    request = urllib.request.Request(url, data=body, headers={"content-type": content_type})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        return response.status


def start_server(
    port: int, row: dict[str, float], env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, float]:
    """Start `bentoml serve`; return it and the seconds until its first correct prediction."""
    started = time.monotonic()
    command = ["bentoml", "serve", BENTO, "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(  # noqa: S603 - fixed command
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    body = json.dumps({"features": row}).encode()
    while time.monotonic() - started < 180:
        try:
            if post(f"http://127.0.0.1:{port}/predict", body, JSON) == 200:
                return server, time.monotonic() - started
        except OSError:
            time.sleep(0.2)
    stop(server)
    sys.exit("loadtest: the service did not answer within 180 s")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)


def server_memory_mb(server: subprocess.Popen) -> float:
    process = psutil.Process(server.pid)
    tree = [process, *process.children(recursive=True)]
    return sum(p.memory_info().rss for p in tree if p.is_running()) / 2**20


def arrow_body(rows: list[dict[str, float]]) -> bytes:
    table = pa.Table.from_pylist(rows)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def run_locust(
    port: int,
    scratch: Path,
    name: str,
    users: int,
    path: str,
    body: bytes,
    kind: str,
    seconds: int = SECONDS,
) -> dict[str, float]:
    body_file = scratch / f"{name}.body"
    body_file.write_bytes(body)
    env = {**os.environ, "LOADTEST_BODY": str(body_file), "LOADTEST_PATH": path,
           "LOADTEST_CONTENT_TYPE": kind}  # fmt: skip
    command = [
        sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
        "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--only-summary",
        "--host", f"http://127.0.0.1:{port}", "--csv", str(scratch / name),
    ]  # fmt: skip
    subprocess.run(command, env=env, check=False, capture_output=True)  # noqa: S603
    with (scratch / f"{name}_stats.csv").open() as stream:
        total = next(r for r in csv.DictReader(stream) if r["Name"] == "Aggregated")
    return {
        "requests": int(total["Request Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"]),
        "p99": float(total["99%"]),
        "errors": int(total["Failure Count"]),
    }


def median_run(results: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over rounds (errors: the total)."""
    if len(results) == 1:
        return results[0]
    merged = {key: statistics.median(r[key] for r in results) for key in results[0]}
    merged["errors"] = sum(r["errors"] for r in results)
    return merged


def soak(row: dict[str, float]) -> None:
    """One long single-row run: errors, throughput and the server's memory before and after."""
    port = free_port()
    server, _ = start_server(port, row)
    try:
        before = server_memory_mb(server)
        with tempfile.TemporaryDirectory() as scratch:
            body = json.dumps({"features": row}).encode()
            result = run_locust(port, Path(scratch), "soak", SOAK_CLIENTS, "/predict", body, JSON,
                                seconds=SOAK_SECONDS)  # fmt: skip
        after = server_memory_mb(server)
    finally:
        stop(server)
    print("| seconds | clients | requests | req/s | p50 ms | p99 ms | errors | MB start | MB end |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {SOAK_SECONDS} | {SOAK_CLIENTS} | {result['requests']} | {result['rps']:.0f} "
        f"| {result['p50']:.0f} | {result['p99']:.0f} | {result['errors']} | {before:.0f} "
        f"| {after:.0f} |"
    )


Scenario = tuple[str, int, str, bytes, str, int]  # name, clients, path, body, type, rows


def table_row(name: str, users: int, rows: int, result: dict[str, float], mb: float) -> str:
    return (
        f"| {name} | {users} | {result['rps']:.0f} | {result['rps'] * rows:.0f} "
        f"| {result['p50']:.0f} | {result['p99']:.0f} | {result['errors']:.0f} | {mb:.0f} |"
    )


def main() -> None:
    if not BENTO:
        sys.exit("set BENTO=<name>:<version> (`make loadtest` serves the project's latest bento)")
    row = golden_row()
    if "--soak" in sys.argv[1:]:
        soak(row)
        return
    batch = [row] * BATCH_ROWS
    single = json.dumps({"features": row}).encode()
    scenarios: list[Scenario] = [
        ("single-row JSON", 8, "/predict", single, JSON, 1),
        (f"{BATCH_ROWS}-row JSON batch", 4, "/predict_batch",
         json.dumps({"rows": batch}).encode(), JSON, BATCH_ROWS),
        (f"{BATCH_ROWS}-row Arrow batch", 4, "/arrow/predict_batch", arrow_body(batch), ARROW,
         BATCH_ROWS),
    ]  # fmt: skip
    lines = [
        "| scenario | clients | req/s | rows/s | p50 ms | p99 ms | errors | server MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as logs:
        port, quiet_port = free_port(), free_port()
        server, cold_start = start_server(port, row, {"PREDICTION_LOG_DIR": logs})
        try:
            quiet, _ = start_server(quiet_port, row, {"PREDICTION_LOG": "off"})
        except BaseException:
            stop(server)
            raise
        try:
            first = scenarios[0]
            result = run_locust(port, Path(scratch), "s0", *first[1:5])
            lines.append(table_row(first[0], first[1], 1, result, server_memory_mb(server)))
            # The pair the log's budget compares: on and off in turns, each its median round.
            rounds: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
            for index in range(LOG_ROUNDS):
                for label, target in (("on", port), ("off", quiet_port)):
                    rounds[label].append(run_locust(target, Path(scratch), f"{label}{index}", 32,
                                                    "/predict", single, JSON))  # fmt: skip
            on, off = median_run(rounds["on"]), median_run(rounds["off"])
            lines.append(table_row("single-row JSON", 32, 1, on, server_memory_mb(server)))
            lines.append(table_row("single-row JSON, log off", 32, 1, off,
                                   server_memory_mb(quiet)))  # fmt: skip
            for index, (name, users, path, body, kind, rows) in enumerate(scenarios[1:]):
                result = run_locust(port, Path(scratch), f"b{index}", users, path, body, kind)
                lines.append(table_row(name, users, rows, result, server_memory_mb(server)))
        finally:
            stop(quiet)
            stop(server)
    print(f"Cold start (process start to first correct prediction): {cold_start:.1f} s")
    print(f"Prediction log on (every row but the log-off one) vs off at 32 clients, median of "
          f"{LOG_ROUNDS} alternating rounds: {on['rps'] / max(off['rps'], 1e-9):.0%} of the "
          f"req/s, p99 {on['p99'] / max(off['p99'], 1e-9):.2f}x\n")  # fmt: skip
    print("\n".join(lines))


if __name__ == "__main__":
    main()
