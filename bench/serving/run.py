"""`make bench`: the generated service against `mlflow models serve` and a bare Python floor.

One run on this machine: bake a default classification project, train and register its model,
build the bento, then start on 127.0.0.1, one after another, (a) the generated BentoML service,
(b) `mlflow models serve --env-manager local` of the same registered version and (c) a bare
Starlette/uvicorn app calling the same model. Each is loaded with wrk (same script, same
bodies); the table gives req/s and latency for single rows at 32 clients, rows/s for 1000-row
batches, cold start and memory, then the ratios service/mlflow and service/floor, and the
in-process predict rows/s (the compute limit). Loopback only; every server is stopped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from cookiecutter.main import cookiecutter

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parents[1]
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CLIENTS = 32
BATCH_CLIENTS = 4
BATCH_ROWS = 1000
# Columnar bodies exist for large batches: they are measured at the size they are meant for.
ARROW_ROWS = 10_000
JSON = "application/json"
ARROW = "application/vnd.apache.arrow.stream"

GOLDEN = """
import json, sys
import mlflow
local = mlflow.artifacts.download_artifacts(f"models:/{sys.argv[1]}@champion", dst_path=sys.argv[2])
row = mlflow.models.Model.load(local).load_input_example(local).head(1)
print(json.dumps(row.to_dict(orient="records")[0]))
"""

IN_PROCESS = """
import sys, time
import mlflow.sklearn, pandas as pd
model = mlflow.sklearn.load_model(f"models:/{sys.argv[1]}@champion")
rows = pd.read_json(sys.argv[2], orient="records")[list(model.feature_names_in_)]
model.predict_proba(rows)
start, calls = time.perf_counter(), 0
while time.perf_counter() - start < 3:
    model.predict_proba(rows)
    calls += 1
print(calls * len(rows) / (time.perf_counter() - start))
"""


def sh(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(command)} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str, body: bytes, kind: str) -> bool:
    request = urllib.request.Request(url, data=body, headers={"content-type": kind})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (servers fork their workers)."""
    listing = subprocess.run(["ps", "-eo", "pid=,ppid=,rss="], capture_output=True, text=True)
    table = [tuple(map(int, line.split())) for line in listing.stdout.splitlines()]
    tree, grew = {root}, True
    while grew:
        children = {pid for pid, ppid, _ in table if ppid in tree} - tree
        tree |= children
        grew = bool(children)
    return sum(rss for pid, _, rss in table if pid in tree) / 1024


def wrk(url: str, body: Path, kind: str, clients: int) -> dict[str, float]:
    env = {**os.environ, "BODY_FILE": str(body), "CONTENT_TYPE": kind}
    command = [
        "wrk",
        "-t2",
        f"-c{clients}",
        f"-d{SECONDS}s",
        "--timeout",
        "10s",
        "-s",
        str(HERE / "post.lua"),
        url,
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT rps=([\d.]+) p50_ms=([\d.]+) p99_ms=([\d.]+) errors=(\d+)", output)
    if match is None:
        sys.exit(f"bench: no result from wrk:\n{output}")
    rps, p50, p99, errors = match.groups()
    return {"rps": float(rps), "p50": float(p50), "p99": float(p99), "errors": int(errors)}


def measure(name, command, cwd, env, single, batch, arrow=None) -> dict[str, object]:
    """Start one server, time its first correct answer, load it, stop it."""
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    server = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while not answers(base + single[0], single[1].read_bytes(), JSON):
            if server.poll() is not None or time.monotonic() - started > 240:
                sys.exit(f"bench: {name} did not start")
            time.sleep(0.2)
        result: dict[str, object] = {"name": name, "cold_start": time.monotonic() - started}
        result["single"] = wrk(base + single[0], single[1], JSON, CLIENTS)
        result["batch"] = wrk(base + batch[0], batch[1], JSON, BATCH_CLIENTS)
        if arrow is not None:
            result["arrow"] = wrk(base + arrow[0], arrow[1], ARROW, BATCH_CLIENTS)
        result["memory"] = tree_rss_mb(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    return result


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is needed (Debian/Ubuntu: apt-get install wrk)")
    scratch = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(scratch)))
    env = {
        **os.environ,
        "BENTOML_HOME": str(scratch / "bentoml"),
        "UV_PYTHON_DOWNLOADS": "never",
        "MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}",
        "BENTOML_DO_NOT_TRACK": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    env.pop("VIRTUAL_ENV", None)
    print(f"bench: baking and training in {project}", file=sys.stderr)
    sh(["make", "setup", "repro", "register", "build"], project, env)
    name = project.name
    row = json.loads(sh(["uv", "run", "python", "-c", GOLDEN, name, str(scratch)], project, env))
    bodies = {
        "single": {"features": row},
        "batch": {"rows": [row] * BATCH_ROWS},
        "mlflow_single": {"dataframe_records": [row]},
        "mlflow_batch": {"dataframe_records": [row] * BATCH_ROWS},
    }
    for key, body in bodies.items():
        (scratch / f"{key}.json").write_text(json.dumps(body))
    (scratch / "rows.json").write_text(json.dumps([row] * BATCH_ROWS))
    (scratch / "arrow_rows.json").write_text(json.dumps([row] * ARROW_ROWS))
    arrow_script = (
        "import json, sys, pyarrow as pa; t = pa.Table.from_pylist(json.load(open(sys.argv[1])));"
        "s = pa.BufferOutputStream(); w = pa.ipc.new_stream(s, t.schema); w.write_table(t);"
        "w.close(); open(sys.argv[2], 'wb').write(s.getvalue().to_pybytes())"
    )
    sh(
        [
            "uv",
            "run",
            "python",
            "-c",
            arrow_script,
            str(scratch / "arrow_rows.json"),
            str(scratch / "batch.arrow"),
        ],
        project,
        env,
    )
    compute = float(
        sh(
            ["uv", "run", "python", "-c", IN_PROCESS, name, str(scratch / "rows.json")],
            project,
            env,
        ).strip()
    )

    uri = f"models:/{name}@champion"
    results = [
        measure(
            "service (BentoML)",
            [
                "uv",
                "run",
                "bentoml",
                "serve",
                f"{name}:latest",
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
            ],
            project,
            env,
            ("/predict", scratch / "single.json"),
            ("/predict_batch", scratch / "batch.json"),
            ("/arrow/predict_batch", scratch / "batch.arrow"),
        ),
        measure(
            "mlflow models serve",
            [
                "uv",
                "run",
                "mlflow",
                "models",
                "serve",
                "-m",
                uri,
                "--env-manager",
                "local",
                "-h",
                "127.0.0.1",
                "-p",
                "{port}",
            ],
            project,
            env,
            ("/invocations", scratch / "mlflow_single.json"),
            ("/invocations", scratch / "mlflow_batch.json"),
        ),
        measure(
            "floor (Starlette + uvicorn)",
            ["uv", "run", "python", str(HERE / "floor_app.py"), uri, "{port}"],
            project,
            env,
            ("/predict", scratch / "single.json"),
            ("/predict_batch", scratch / "batch.json"),
        ),
    ]
    print_table(results, compute)
    shutil.rmtree(scratch, ignore_errors=True)


def print_table(results: list[dict], compute: float) -> None:
    print(f"Serving benchmark: {SECONDS} s per load, wrk on 127.0.0.1, same model and bodies\n")
    print(
        f"| server | single-row req/s @{CLIENTS} | p50 ms | p99 ms | errors "
        f"| {BATCH_ROWS}-row JSON rows/s @{BATCH_CLIENTS} | {ARROW_ROWS}-row Arrow rows/s "
        "| cold start s | RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        s, b = r["single"], r["batch"]
        arrow = f"{r['arrow']['rps'] * ARROW_ROWS:,.0f}" if "arrow" in r else "-"
        print(
            f"| {r['name']} | {s['rps']:.0f} | {s['p50']:.1f} | {s['p99']:.1f} | "
            f"{s['errors'] + b['errors'] + r.get('arrow', {}).get('errors', 0)} | "
            f"{b['rps'] * BATCH_ROWS:,.0f} | {arrow} | {r['cold_start']:.1f} | {r['memory']:.0f} |"
        )
    service, mlflow_serve, floor = results
    print(f"\nIn-process predict_proba on {BATCH_ROWS}-row frames: {compute:,.0f} rows/s\n")
    print("| ratio | service/mlflow | service/floor |")
    print("|---|---:|---:|")
    for label, key in (("single-row req/s", "single"), ("JSON batch rows/s", "batch")):
        ours = service[key]["rps"]
        print(
            f"| {label} | {ours / mlflow_serve[key]['rps']:.2f} | {ours / floor[key]['rps']:.2f} |"
        )
    p99 = service["single"]["p99"] / floor["single"]["p99"]
    arrow = service["arrow"]["rps"] * ARROW_ROWS / (floor["batch"]["rps"] * BATCH_ROWS)
    print(f"| single-row p99 (lower is better) | - | {p99:.2f} |")
    print(f"| Arrow batch rows/s vs floor's JSON batch | - | {arrow:.2f} |")


if __name__ == "__main__":
    main()
