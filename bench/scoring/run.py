"""`make bench-score`: batch scoring (`make score`) at 1M and 10M rows against the compute limit
and the service's Arrow endpoint.

One run on this machine: bake a default classification project (or take `--project`, a bake
after `make setup`), `make repro register build` as needed, then for each size:

1. Write a Parquet file of that many rows: the held-out test rows resampled with 1 % noise per
   value and an `id` column, in row groups of pyarrow's default size (what pandas writes).
2. `make score INPUT=<it> OUTPUT=<out> ID=id`: wall time and peak resident memory of the whole
   process tree (bench-scale's sampler), and the rows/s the command reports for its scoring
   loop (reading, validating, predicting, writing; after the model is loaded).
3. The compute limit: in one process, the file read into one in-memory DataFrame and the
   champion's `predict_proba` on all of it, timed alone (no validation, no output).
4. The Arrow endpoint: `bentoml serve` of the built bento (prediction log off: it would write
   every row as a JSON line), the same file sent as Arrow IPC requests of ARROW_ROWS rows one
   after another, answers discarded; rows/s and the server's peak memory.

Nothing but loopback and the scratch folder (or the given project's build/bench-score/) is
touched.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parents[1]
SAMPLE_SECONDS = 0.1
# Rows per Arrow request: half the service's MAX_ARROW_ROWS, a size the endpoint is meant for.
ARROW_ROWS = 100_000

# bench-scale's measurement of a process tree's resident memory (/proc), shared, not copied.
_spec = importlib.util.spec_from_file_location("bench_scale", HERE.parent / "scale" / "run.py")
bench_scale = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_scale)

# Writes `rows` rows like the held-out test split's into a Parquet file, in the project's env.
WRITE_INPUT = """
import sys
import numpy as np, pandas as pd, pyarrow as pa, pyarrow.parquet as pq
rows, path, target = int(sys.argv[1]), sys.argv[2], sys.argv[3]
test = pd.read_parquet("data/prepared/test.parquet").drop(columns=[target])
base, rng, step, writer = test.to_numpy(), np.random.default_rng(0), 1 << 20, None
for start in range(0, rows, step):
    n = min(step, rows - start)
    values = base[rng.integers(0, len(base), n)] * rng.normal(1, 0.01, (n, base.shape[1]))
    columns = {"id": np.arange(start, start + n)}
    columns.update({name: values[:, i] for i, name in enumerate(test.columns)})
    table = pa.table(columns)
    writer = writer or pq.ParquetWriter(path, table.schema)
    writer.write_table(table)
writer.close()
"""

# The compute limit: one in-memory frame, the champion's predict_proba on all of it.
COMPUTE_LIMIT = """
import sys, time
import mlflow.sklearn, pandas as pd
model = mlflow.sklearn.load_model(f"models:/{sys.argv[1]}@champion")
frame = pd.read_parquet(sys.argv[2]).drop(columns=["id"])[list(model.feature_names_in_)]
started = time.perf_counter()
model.predict_proba(frame)
print(len(frame) / (time.perf_counter() - started))
"""

# Sends the file to the Arrow endpoint in requests of `rows` rows, one after another.
ARROW_CLIENT = """
import sys, time, urllib.request
import pyarrow as pa, pyarrow.parquet as pq
url, path, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
features = [name for name in pq.read_schema(path).names if name != "id"]
sent, started = 0, time.perf_counter()
for batch in pq.ParquetFile(path).iter_batches(batch_size=rows, columns=features):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    kind = {"content-type": "application/vnd.apache.arrow.stream"}
    request = urllib.request.Request(url, data=sink.getvalue().to_pybytes(), headers=kind)
    with urllib.request.urlopen(request, timeout=300) as response:
        answer = pa.ipc.open_stream(response.read()).read_all()
    assert answer.num_rows == batch.num_rows
    sent += batch.num_rows
print(sent / (time.perf_counter() - started))
"""
SUMMARY = re.compile(r"score: ([\d,]+) rows .* in ([\d.]+) s \(([\d,]+) rows/s\)")


def sh(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    return bench_scale.sh(command, cwd, env, who="bench-score")


def measured(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak resident bytes of the whole process tree, and the output; stops the
    benchmark if the command fails."""
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = bench_scale.peak_rss_while(process, process.pid, SAMPLE_SECONDS)
    output = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        sys.exit(f"bench-score: {' '.join(command)} failed:\n{output[-3000:]}")
    return time.monotonic() - started, peak, output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def arrow_endpoint(project: Path, env: dict[str, str], files: dict[int, Path]) -> dict[int, tuple]:
    """rows/s through the served bento's Arrow endpoint per size, and the server's peak memory."""
    port = free_port()
    cli = f"{bench_scale.package_of(project)}.cli"
    tag = sh(["uv", "run", "python", "-m", cli, "bento-tag"], project, env).strip().splitlines()[-1]
    server_env = {**env, "PREDICTION_LOG": "off"}
    server = subprocess.Popen(
        ["uv", "run", "bentoml", "serve", tag, "--host", "127.0.0.1", "--port", str(port)],
        cwd=project, env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        started = time.monotonic()
        while not bench_scale_ready(f"{base}/readyz"):
            if server.poll() is not None or time.monotonic() - started > 240:
                sys.exit("bench-score: the served bento did not start")
            time.sleep(0.5)
        for rows, path in files.items():
            print(f"bench-score: Arrow endpoint, {rows:,} rows", file=sys.stderr)
            client = subprocess.Popen(
                ["uv", "run", "python", "-c", ARROW_CLIENT, f"{base}/arrow/predict_batch",
                 str(path), str(ARROW_ROWS)],
                cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            peak = bench_scale.peak_rss_while(client, server.pid, SAMPLE_SECONDS)
            output = client.stdout.read() if client.stdout else ""
            if client.returncode != 0:
                sys.exit(f"bench-score: the Arrow client failed:\n{output[-3000:]}")
            results[rows] = (float(output.strip().splitlines()[-1]), peak)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    return results


def bench_scale_ready(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--project", type=Path, help="an existing bake after `make setup repro register build`"
    )
    parser.add_argument("--no-arrow", action="store_true", help="skip the Arrow endpoint")
    parser.add_argument(
        "--chunk-rows", type=int, nargs="+", default=[], help="also with these SCORE_CHUNK_ROWS"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-score-"))
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "BENTOML_HOME": str(scratch / "bentoml"),
           "MLFLOW_DISABLE_TELEMETRY": "true", "BENTOML_DO_NOT_TRACK": "true"}  # fmt: skip
    env.pop("VIRTUAL_ENV", None)
    if args.project:
        project = args.project.resolve()
        work = project / "build" / "bench-score"
        # The project's own store, where `make build` put its bento.
        env["BENTOML_HOME"] = os.environ.get("BENTOML_HOME", str(Path.home() / "bentoml"))
    else:
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(scratch)))
        work = scratch / "files"
        print(f"bench-score: baking into {project}", file=sys.stderr)
        sh(["make", "setup"], project, env)
    work.mkdir(parents=True, exist_ok=True)
    if not args.project:
        print("bench-score: make repro register build", file=sys.stderr)
        sh(["make", "repro", "register", "build"], project, env)
    cli = f"{bench_scale.package_of(project)}.cli"
    name = sh(["uv", "run", "python", "-m", cli, "model-name"], project, env).split()[-1]
    target = sh(["uv", "run", "python", "-c", "import yaml; print(yaml.safe_load("
                 "open('params.yaml'))['ingest']['target'])"], project, env).strip()  # fmt: skip
    try:
        files, results = {}, []
        for rows in args.rows:
            path = work / f"input-{rows}.parquet"
            print(f"bench-score: writing {rows:,} rows", file=sys.stderr)
            sh(["uv", "run", "python", "-c", WRITE_INPUT, str(rows), str(path), target], project,
               env)  # fmt: skip
            files[rows] = path
            for chunk in [0, *args.chunk_rows]:
                run_env = {**env, **({"SCORE_CHUNK_ROWS": str(chunk)} if chunk else {})}
                print(f"bench-score: make score on {rows:,} rows"
                      + (f" (chunks of {chunk:,})" if chunk else ""), file=sys.stderr)  # fmt: skip
                seconds, peak, output = measured(
                    ["make", "score", f"INPUT={path}", f"OUTPUT={work / 'scores.parquet'}",
                     "ID=id"], project, run_env,
                )  # fmt: skip
                found = SUMMARY.search(output)
                if found is None:
                    sys.exit(f"bench-score: no summary line from make score:\n{output[-3000:]}")
                loop = float(found[3].replace(",", ""))
                results.append((rows, chunk, seconds, loop, peak))
            print(f"bench-score: compute limit on {rows:,} rows", file=sys.stderr)
            _, limit_peak, output = measured(
                ["uv", "run", "python", "-c", COMPUTE_LIMIT, name, str(path)], project, env
            )
            results[-1 - len(args.chunk_rows) :] = [
                (*entry, float(output.strip().splitlines()[-1]), limit_peak)
                for entry in results[-1 - len(args.chunk_rows) :]
            ]
        arrow = {} if args.no_arrow else arrow_endpoint(project, env, files)
    finally:
        if args.project:
            shutil.rmtree(work, ignore_errors=True)
    print(
        f"Batch scoring benchmark: default classification bake ({name}), {os.cpu_count()} "
        "cores; `make score` of one Parquet file (id + the model's features) into Parquet\n"
    )
    print("| rows | chunk rows | `make score` wall s | scoring loop rows/s | peak memory MB "
          "| compute limit rows/s | loop / limit | limit's peak MB | Arrow endpoint rows/s "
          "| server peak MB |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    for rows, chunk, seconds, loop, peak, limit, limit_peak in results:
        served, server_peak = arrow.get(rows, (0.0, 0))
        print(f"| {rows:,} | {chunk or 'default'} | {seconds:.1f} | {loop:,.0f} | {peak / 1e6:.0f} "
              f"| {limit:,.0f} | {loop / limit:.0%} | {limit_peak / 1e6:.0f} "
              f"| {served:,.0f} | {server_peak / 1e6:.0f} |")  # fmt: skip
    defaults = [entry for entry in results if entry[1] == 0]
    if len(defaults) >= 2:
        print(f"\nPeak memory {defaults[-1][0]:,} rows / {defaults[0][0]:,} rows: "
              f"{defaults[-1][4] / defaults[0][4]:.2f}x")  # fmt: skip
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
