"""`make bench`: the generated service against its limits and its peers, in one run.

Bake a default classification project, train and register its model, build the bento, then on
127.0.0.1, one server after another, load each with wrk (same script, same bodies):

- the generated BentoML service as shipped (prediction log on): single rows, 1000-row JSON
  batches, Arrow batches of 1k, 10k and 100k rows; again with two workers (`SERVICE_WORKERS=2`)
  and with the log off (`PREDICTION_LOG=off`), to show what each costs;
- its peers: `mlflow models serve --env-manager local` of the same registered version and a bare
  Starlette/uvicorn app calling the same model (the floor; `floor_app.py`);
- the HTTP limits: an empty async endpoint on BentoML (`empty_bentoml.py`, one worker) and an
  empty Starlette handler on uvicorn (`empty_starlette.py`): what a request costs with no work;
- the compute limit: in one process, the service's own model call (`predict_values` of its
  class, as a request makes it) on a plain numpy row, and on arrays of 1k, 10k and 100k rows.

When taskset is there and there are two cores or more, wrk runs on the last core and the servers
and the in-process runs on the others (the output states the setup). The tables give req/s,
latency, rows/s, cold start (process start to the first correct answer) and peak memory, then
the ratios to the limits and peers. Before each load the server is left to go idle, so a
load's leftovers (a prediction log backlog) are not charged to the next. A full run
(BENCH_SECONDS of 10 or more per load, the default) writes them to RESULTS.md with the date,
machine and package versions; a shorter one only prints them. Loopback only; every server is
stopped.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import platform
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
from dataclasses import dataclass
from pathlib import Path

from cookiecutter.main import cookiecutter

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parents[1]
RESULTS = HERE / "RESULTS.md"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
FULL_RUN_SECONDS = 10  # shorter loads are smoke runs: printed, not written to RESULTS.md
MEMORY_SAMPLE_SECONDS = 0.5  # sparse: the sampler shares a core with wrk
SETTLE_SECONDS = 30
IDLE_CPU_SECONDS = 0.025  # used in half a second: 5 % of a core
FEW_REQUESTS = 10  # a load that finishes fewer gives a rough rate (large batches, short loads)
CLIENTS = 32
BATCH_CLIENTS = 4
BATCH_ROWS = 1000
# Columnar bodies exist for large batches: measured from 1k rows up to half the service's cap.
ARROW_SIZES = (1_000, 10_000, 100_000)
JSON = "application/json"
ARROW = "application/vnd.apache.arrow.stream"
VERSIONS = ("bentoml", "mlflow", "scikit-learn", "numpy", "pyarrow", "pydantic", "starlette",
            "uvicorn", "uvloop", "httptools")  # fmt: skip

# bench-scale's process-tree memory sampler and command runner, shared, not copied.
_spec = importlib.util.spec_from_file_location("bench_scale", HERE.parent / "scale" / "run.py")
bench_scale = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_scale)

GOLDEN = """
import json, sys
import mlflow
local = mlflow.artifacts.download_artifacts(f"models:/{sys.argv[1]}@champion", dst_path=sys.argv[2])
row = mlflow.models.Model.load(local).load_input_example(local).head(1)
print(json.dumps(row.to_dict(orient="records")[0]))
"""

# Arrow IPC streams of the golden row repeated, one file per size: batch-<rows>.arrow.
ARROW_BODIES = """
import json, sys
import pyarrow as pa
row, folder = json.loads(sys.argv[1]), sys.argv[2]
for rows in map(int, sys.argv[3:]):
    table = pa.table({name: [value] * rows for name, value in row.items()})
    with pa.OSFile(f"{folder}/batch-{rows}.arrow", "wb") as sink:
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
"""

# The compute limit: the service class's own model call on what a request hands it (a float
# array in training column order), timed alone. Prints {"1": calls/s, "<rows>": rows/s, ...}.
IN_PROCESS = """
import importlib, json, sys, time
import numpy as np
module = importlib.import_module(f"src.{sys.argv[1]}.service")
service = module.ModelService.inner()
row = json.loads(sys.argv[2])
one = np.asfortranarray([[float(row[name]) for name in module.FEATURES]])
seconds, rates = float(sys.argv[3]), {}
for rows in [1, *map(int, sys.argv[4:])]:
    X = np.asfortranarray(np.repeat(one, rows, axis=0))
    service.predict_values(X)
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < seconds or calls < 3:
        service.predict_values(X)
        calls += 1
    rates[rows] = calls * rows / (time.perf_counter() - start)
print(json.dumps(rates))
"""

VERSIONS_SCRIPT = """
import json, platform, sys
from importlib import metadata
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"
print(json.dumps({"python": platform.python_version(), **{n: version(n) for n in sys.argv[1:]}}))
"""


@dataclass(frozen=True)
class Load:
    """One wrk load: POST `body` to `path` from `clients` connections; `rows` per request."""

    key: str
    path: str
    body: Path
    kind: str = JSON
    clients: int = CLIENTS
    rows: int = 1


@dataclass(frozen=True)
class Pinning:
    """taskset prefixes for wrk and for the servers, and the setup in words."""

    load: list[str]
    server: list[str]
    setup: str
    server_cores: int


def pinning() -> Pinning:
    cores = sorted(os.sched_getaffinity(0))
    if shutil.which("taskset") is None or len(cores) < 2:
        why = "no taskset" if len(cores) > 1 else "one core"
        return Pinning([], [], f"unpinned ({why}): wrk and the servers share {len(cores)} "
                       "core(s)", len(cores))  # fmt: skip
    load, server = cores[-1], ",".join(map(str, cores[:-1]))
    setup = (f"wrk pinned to core {load}, each server and the in-process runs to core(s) "
             f"{server} (taskset); {len(cores)} cores in all")  # fmt: skip
    return Pinning(["taskset", "-c", str(load)], ["taskset", "-c", server], setup, len(cores) - 1)


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


def wrk(url: str, load: Load, pin: list[str], server_pid: int) -> tuple[dict[str, float], int]:
    """wrk's RESULT line for one load, and the server tree's peak resident bytes meanwhile."""
    env = {**os.environ, "BODY_FILE": str(load.body), "CONTENT_TYPE": load.kind}
    command = [*pin, "wrk", "-t2", f"-c{load.clients}", f"-d{SECONDS}s", "--timeout", "10s",
               "-s", str(HERE / "post.lua"), url]  # fmt: skip
    running = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    peak = bench_scale.peak_rss_while(running, server_pid, MEMORY_SAMPLE_SECONDS)
    output = running.communicate()[0]
    match = re.search(r"RESULT rps=([\d.]+) p50_ms=([\d.]+) p99_ms=([\d.]+) errors=(\d+)", output)
    if running.returncode != 0 or match is None:
        sys.exit(f"bench: no result from wrk:\n{output}")
    rps, p50, p99, errors = match.groups()
    return {"rps": float(rps), "p50": float(p50), "p99": float(p99), "errors": int(errors)}, peak


def tree_cpu_seconds(root: int) -> float:
    """CPU time used so far by a process and all its descendants."""
    ticks = 0
    for pid in bench_scale.tree(root, bench_scale.processes()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while being read
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def settle(root: int) -> None:
    """Wait (up to SETTLE_SECONDS) until the server is idle, so what one load leaves behind (a
    prediction log backlog, a start-up still finishing) is not charged to the next."""
    deadline, before = time.monotonic() + SETTLE_SECONDS, tree_cpu_seconds(root)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = tree_cpu_seconds(root)
        if now - before < IDLE_CPU_SECONDS:
            return
        before = now


def measure(name: str, command: list[str], cwd: Path, env: dict[str, str], loads: list[Load],
            pins: Pinning) -> dict:  # fmt: skip
    """Start one server, time its first correct answer to the first load, run the loads, stop it."""
    port = free_port()
    command = [*pins.server, *(part.replace("{port}", str(port)) for part in command)]
    base = f"http://127.0.0.1:{port}"
    print(f"bench: {name}", file=sys.stderr)
    started = time.monotonic()
    server = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    first = loads[0]
    try:
        while not answers(base + first.path, first.body.read_bytes(), first.kind):
            if server.poll() is not None or time.monotonic() - started > 240:
                sys.exit(f"bench: {name} did not start")
            time.sleep(0.2)
        result: dict = {"name": name, "cold_start": time.monotonic() - started, "peak": 0}
        for load in loads:
            settle(server.pid)
            result[load.key], peak = wrk(base + load.path, load, pins.load, server.pid)
            result[load.key]["rows/s"] = result[load.key]["rps"] * load.rows
            result["peak"] = max(result["peak"], peak)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    result["errors"] = sum(result[load.key]["errors"] for load in loads)
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

    def sh(command: list[str], cwd: Path = project) -> str:
        return bench_scale.sh(command, cwd, env, who="bench")

    print(f"bench: baking and training in {project}", file=sys.stderr)
    sh(["make", "setup", "repro", "register", "build"])
    name, package = project.name, bench_scale.package_of(project)
    row = sh(["uv", "run", "python", "-c", GOLDEN, name, str(scratch)]).strip().splitlines()[-1]
    bodies = {
        "single": {"features": json.loads(row)},
        "batch": {"rows": [json.loads(row)] * BATCH_ROWS},
        "mlflow_single": {"dataframe_records": [json.loads(row)]},
        "mlflow_batch": {"dataframe_records": [json.loads(row)] * BATCH_ROWS},
    }
    for key, body in bodies.items():
        (scratch / f"{key}.json").write_text(json.dumps(body))
    sh(["uv", "run", "python", "-c", ARROW_BODIES, row, str(scratch), *map(str, ARROW_SIZES)])
    empty_folder = scratch / "empty"
    empty_folder.mkdir()
    shutil.copy(HERE / "empty_bentoml.py", empty_folder)

    # From here on this process (it samples memory) keeps to wrk's core.
    pins = pinning()
    if pins.load:
        os.sched_setaffinity(0, {int(pins.load[-1])})
    print("bench: in-process compute limit", file=sys.stderr)
    rates = sh([*pins.server, "uv", "run", "python", "-c", IN_PROCESS, package, row,
                str(max(1.0, SECONDS / 3)), *map(str, ARROW_SIZES)])  # fmt: skip
    compute = {int(rows): rate for rows, rate in json.loads(rates.splitlines()[-1]).items()}

    single = Load("single", "/predict", scratch / "single.json")
    batch = Load("batch", "/predict_batch", scratch / "batch.json", JSON, BATCH_CLIENTS, BATCH_ROWS)
    arrow = [Load(f"arrow_{rows}", "/arrow/predict_batch", scratch / f"batch-{rows}.arrow", ARROW,
                  BATCH_CLIENTS, rows) for rows in ARROW_SIZES]  # fmt: skip
    bento = ["uv", "run", "bentoml", "serve", f"{name}:latest", "--host", "127.0.0.1",
             "--port", "{port}"]  # fmt: skip
    uri = f"models:/{name}@champion"
    # The service as shipped (prediction log on, every row), then without its log; its peers; the
    # HTTP limits. Keys name them in the report.
    results = {
        "service": measure("service (BentoML), 1 worker", bento, project, env,
                           [single, batch, *arrow], pins),
        "two": measure("service (BentoML), 2 workers", bento, project,
                       {**env, "SERVICE_WORKERS": "2"}, [single, arrow[-1]], pins),
        "quiet": measure("service (BentoML), 1 worker, prediction log off", bento, project,
                         {**env, "PREDICTION_LOG": "off"}, [single, *arrow], pins),
        "mlflow": measure("mlflow models serve",
                          ["uv", "run", "mlflow", "models", "serve", "-m", uri, "--env-manager",
                           "local", "-h", "127.0.0.1", "-p", "{port}"], project, env,
                          [Load("single", "/invocations", scratch / "mlflow_single.json"),
                           Load("batch", "/invocations", scratch / "mlflow_batch.json", JSON,
                                BATCH_CLIENTS, BATCH_ROWS)], pins),
        "floor": measure("floor (Starlette + uvicorn, the model)",
                         ["uv", "run", "python", str(HERE / "floor_app.py"), uri, "{port}"],
                         project, env, [single, batch], pins),
        "empty_bento": measure("HTTP limit: empty BentoML endpoint, 1 worker",
                               ["uv", "run", "--project", str(project), "bentoml", "serve",
                                "empty_bentoml:Empty", "--host", "127.0.0.1", "--port", "{port}"],
                               empty_folder, env, [single], pins),
        "empty_bare": measure("HTTP limit: empty Starlette handler on uvicorn",
                              ["uv", "run", "python", str(HERE / "empty_starlette.py"), "{port}"],
                              project, env, [single], pins),
    }  # fmt: skip
    versions = json.loads(sh(["uv", "run", "python", "-c", VERSIONS_SCRIPT, *VERSIONS]).strip())
    tables = report(results, compute, pins)
    header = machine(versions)
    print("\n".join(header + tables))
    if SECONDS >= FULL_RUN_SECONDS:
        RESULTS.write_text("\n".join(["# `make bench`: the latest full run", "", *header,
                                      *tables]) + "\n")  # fmt: skip
        print(f"\nbench: written to {RESULTS.relative_to(TEMPLATE)}", file=sys.stderr)
    else:
        print(f"\nbench: a smoke run ({SECONDS} s per load, under {FULL_RUN_SECONDS}): "
              f"{RESULTS.relative_to(TEMPLATE)} left as it is", file=sys.stderr)  # fmt: skip
    shutil.rmtree(scratch, ignore_errors=True)


def machine(versions: dict[str, str]) -> list[str]:
    """Date, cores, CPU model and package versions, as markdown lines."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo, flags=re.MULTILINE)
    wrk_banner = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
    tools = [f"{name} {version}" for name, version in versions.items()] + [" ".join(wrk_banner[:2])]
    return [
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} cores, {models[0] if models else platform.processor()}, "
        f"{platform.system()} {platform.release()}",
        f"- versions: {', '.join(tools)}",
        "",
    ]


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else "-"


def rows_per_second(load: dict) -> str:
    """A load's rows/s, marked when so few requests finished that the figure is rough."""
    few = load["rps"] * SECONDS < FEW_REQUESTS
    return f"{load['rows/s']:,.0f}{' †' if few else ''}"


def report(results: dict[str, dict], compute: dict[int, float], pins: Pinning) -> list[str]:
    """The servers, the scaling rows and the ratios, as markdown lines."""
    service, two, quiet = results["service"], results["two"], results["quiet"]
    lines = [
        f"Serving benchmark: {SECONDS} s per load, wrk on 127.0.0.1, same model and bodies; "
        f"{pins.setup}. The service runs as shipped (prediction log on, every row) unless "
        "named.",
        "",
        f"| server | single-row req/s @{CLIENTS} | p50 ms | p99 ms | {BATCH_ROWS}-row JSON "
        f"rows/s @{BATCH_CLIENTS} | errors | cold start s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results.values():
        s = r["single"]
        json_batch = rows_per_second(r["batch"]) if "batch" in r else "-"
        lines.append(f"| {r['name']} | {s['rps']:,.0f} | {s['p50']:.1f} | {s['p99']:.1f} | "
                     f"{json_batch} | {r['errors']} | {r['cold_start']:.1f} | "
                     f"{r['peak'] / 2**20:,.0f} |")  # fmt: skip
    lines += [
        "",
        f"Compute limit: the service's model call in process on one row (a plain numpy array): "
        f"{compute[1]:,.0f} calls/s ({1000 / compute[1]:.2f} ms each).",
        "",
        f"| rows per request (1: JSON @{CLIENTS}; more: Arrow @{BATCH_CLIENTS}) | service rows/s "
        "| log off rows/s | in process rows/s | service / in process | log off / in process |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for rows, key in ((1, "single"), *((rows, f"arrow_{rows}") for rows in ARROW_SIZES)):
        lines.append(f"| {rows:,} | {rows_per_second(service[key])} | "
                     f"{rows_per_second(quiet[key])} | {compute[rows]:,.0f} | "
                     f"{ratio(service[key]['rows/s'], compute[rows])} | "
                     f"{ratio(quiet[key]['rows/s'], compute[rows])} |")  # fmt: skip
    largest = f"arrow_{ARROW_SIZES[-1]}"
    shared = ("" if pins.server_cores > 1 else
              ": both share the server's one core, so this measures what a second worker costs, "
              "not how the service scales")  # fmt: skip
    lines += [
        "",
        f"One worker against two (`SERVICE_WORKERS=2`), same setup{shared}.",
        "",
        f"| workers | single-row req/s @{CLIENTS} | p99 ms | Arrow {ARROW_SIZES[-1]:,}-row rows/s "
        "| peak RSS MB |",
        "|---:|---:|---:|---:|---:|",
    ]
    for workers, r in ((1, service), (2, two)):
        lines.append(f"| {workers} | {r['single']['rps']:,.0f} | {r['single']['p99']:.1f} | "
                     f"{rows_per_second(r[largest])} | {r['peak'] / 2**20:,.0f} |")  # fmt: skip
    if any("†" in line for line in lines):
        lines += ["", f"† fewer than {FEW_REQUESTS} requests finished in the load: a rough figure."]
    ours = service["single"]["rps"]
    floor, mlflow_serve = results["floor"], results["mlflow"]
    bento_limit, bare_limit = results["empty_bento"]["single"], results["empty_bare"]["single"]
    rows = [  # (ratio, value, goal or "")
        ("service / HTTP limit, empty BentoML endpoint", ratio(ours, bento_limit["rps"]), ""),
        ("service / HTTP limit, empty Starlette handler", ratio(ours, bare_limit["rps"]), ""),
        ("service / compute limit (in-process single row)", ratio(ours, compute[1]), ""),
        ("service / the lower of the empty Starlette handler and the compute limit",
         ratio(ours, min(bare_limit["rps"], compute[1])), "≥ 0.50"),
        ("service / floor", ratio(ours, floor["single"]["rps"]), "≥ 1.25"),
        ("service / mlflow", ratio(ours, mlflow_serve["single"]["rps"]), "≥ 6"),
        ("service p99 / floor p99 (lower is better)",
         ratio(service["single"]["p99"], floor["single"]["p99"]), "≤ 1.00"),
        (f"{BATCH_ROWS}-row JSON rows/s: service / floor",
         ratio(service["batch"]["rows/s"], floor["batch"]["rows/s"]), ""),
        (f"{BATCH_ROWS}-row JSON rows/s: service / mlflow",
         ratio(service["batch"]["rows/s"], mlflow_serve["batch"]["rows/s"]), ""),
        (f"Arrow {ARROW_SIZES[-1]:,}-row rows/s / in process",
         ratio(service[largest]["rows/s"], compute[ARROW_SIZES[-1]]), "≥ 0.70"),
        (f"Arrow {ARROW_SIZES[-1]:,}-row rows/s, prediction log off / in process",
         ratio(quiet[largest]["rows/s"], compute[ARROW_SIZES[-1]]), ""),
        ("service, prediction log off / on", ratio(quiet["single"]["rps"], ours), ""),
        ("2 workers / 1 worker", ratio(two["single"]["rps"], ours), ""),
    ]  # fmt: skip
    lines += [
        "",
        "| ratio (single-row req/s unless named) | value | the template's goal |",
        "|---|---:|---:|",
    ]
    lines += [f"| {label} | {value} | {goal or '-'} |" for label, value, goal in rows]
    return lines


if __name__ == "__main__":
    main()
