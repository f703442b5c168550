"""`make bench-monitor`: the monitor's cost on 100k and 1M logged rows, false alarms, detections.

One run on this machine: bake a default project (or take `--project`, a bake after `make setup`),
`make repro` when it has no reference profile yet, then:

1. For each size, write a prediction log of that many records in the service's format (the held-out
   test rows resampled with their logged outputs, JSON lines in the service's folder layout and
   file size, no server), point `monitor.logs` at it and time `python -m <pkg>.cli monitor`; the
   resident memory of the whole process tree (uv and Python) is sampled while it runs.
2. In one process (importing the package costs seconds per process), the monitor's own decision
   (`monitoring.drift.summarize`, what the command line calls) on random windows of held-out rows
   answered by the trained model: unshifted (every drift verdict is a false alarm), one important
   feature shifted by 0.1 to 2 standard deviations and only rows of the last class (the shifts of
   `make traffic`, `monitoring.shifts`). Each trial is one monitor run: `monitor.windows` windows
   of `monitor.window_rows` rows drawn from the served rows, decided with params.yaml's rules.

The project's params.yaml is restored afterwards; the benchmark's logs live under the scratch
folder (a given project gets `build/bench-monitor/`, deleted at the end) and each timed run logs one
monitoring run to the project's MLflow store. Nothing but loopback and those folders is touched.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from cookiecutter.main import cookiecutter

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parents[1]
SAMPLE_SECONDS = 0.05
SHIFT_SIZES = (0.1, 0.25, 0.5, 1.0, 2.0)  # standard deviations of the feature (make traffic SIZE)
REFERENCE = "data/reference/reference.parquet"  # paths.REFERENCE_FILE (checked in the project)
MONITOR_SUMMARY = "build/monitor/summary.json"  # paths.MONITOR_DIR / summary.json
# What `make traffic SHIFT=labels` keeps (`task.label_shift_rows`), by task.
LABEL_SHIFTS = {"classification": "last class only", "regression": "target above the median only"}

# bench-scale's measurement of a process tree's resident memory (/proc), shared, not copied.
_spec = importlib.util.spec_from_file_location("bench_scale", HERE.parent / "scale" / "run.py")
bench_scale = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_scale)

# Writes `rows` prediction records into a log folder, run in the project's environment; prints
# the bytes written. The test rows' features and logged outputs are serialised once each: a
# record is then a string join, so a million records take seconds, not minutes.
WRITE_LOGS = """
import datetime as dt, importlib, json, math, os, socket, sys
from pathlib import Path
import numpy as np
pkg, rows, folder, seed = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
log = importlib.import_module(f"{pkg}.prediction_log")
paths = importlib.import_module(f"{pkg}.paths")
reference = importlib.import_module(f"{pkg}.monitoring.reference").read(paths.REFERENCE_FILE)
assert str(paths.REFERENCE_FILE) == sys.argv[5], (paths.REFERENCE_FILE, sys.argv[5])
def number(value):
    return None if value is None or math.isnan(value) else float(value)
bodies = []
for i in range(len(reference.test)):
    features = {name: number(v) for name, v in reference.test.iloc[i].items()}
    outputs = {name: number(v[i]) for name, v in reference.outputs.items()}
    bodies.append(f'"{log.FEATURES}": {json.dumps(features)}, '
                  f'"{log.OUTPUTS}": {json.dumps(outputs)}}}\\n')
head = (f'"{log.MODEL_NAME}": "bench", "{log.MODEL_VERSION}": "1", '
        f'"{log.BENTO_MODEL}": "bench:bench", "{log.MODEL_MD5}": "{reference.model_md5}", ')
picks = np.random.default_rng(seed).integers(0, len(bodies), rows)
now = dt.datetime.now(dt.UTC)
start = now - dt.timedelta(milliseconds=rows)  # one record a millisecond, the newest just now
prefix = f"{socket.gethostname()}-{os.getpid()}-{int(start.timestamp())}"
written, sequence, handle, day, size = 0, 0, None, None, 0
for i, pick in enumerate(picks):
    stamp = (start + dt.timedelta(milliseconds=i)).isoformat()
    line = (f'{{"{log.REQUEST_ID}": "{i:032x}", "{log.ROW}": 0, "{log.TIMESTAMP}": "{stamp}", '
            + head + bodies[pick])
    if handle is None or stamp[:10] != day or size >= log.DEFAULT_ROTATE_BYTES:
        if handle:
            handle.close()
        day, size, sequence = stamp[:10], 0, sequence + 1
        target = folder / log.PREDICTIONS_FOLDER / day / f"{prefix}-{sequence}{log.SUFFIX}"
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = target.open("w", encoding="utf-8")
    handle.write(line)
    size += len(line)
    written += len(line)
handle.close()
print(written)
"""

# The monitor's decision on random windows, in one process; prints one JSON line per case.
# Each case serves the test split as `make traffic` would (`monitoring.shifts`, seeded per
# trial); a window is a random draw of its rows (without replacement), answered by the model.
EXPERIMENTS = """
import collections, importlib, json, sys
import joblib, numpy as np, pandas as pd
pkg, trials, feature, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
task = importlib.import_module(f"{pkg}.task")
drift = importlib.import_module(f"{pkg}.monitoring.drift")
shifts = importlib.import_module(f"{pkg}.monitoring.shifts")
profile = importlib.import_module(f"{pkg}.monitoring.reference")
paths = importlib.import_module(f"{pkg}.paths")
params = importlib.import_module(f"{pkg}.config").load_params()
settings = params.monitor
reference = profile.read(paths.REFERENCE_FILE)
model = joblib.load(paths.MODEL_FILE)
feature = feature or shifts.default_feature(params.evaluate.directional, reference.features)
test, actual = reference.test, pd.Series(reference.actual)

def window(rng, served):
    rows = settings.window_rows
    chosen = rng.choice(len(served), size=rows, replace=rows > len(served))
    features = served.iloc[chosen].reset_index(drop=True)
    outputs = task.columns(task.predict(model, features), reference.classes)
    return features.assign(**{f"{profile.OUTPUT_PREFIX}{name}": values
                              for name, values in outputs.items()})

cases = [("none", 0.0)] + [("feature", size) for size in sizes] + [("labels", 0.0)]
for number, (kind, size) in enumerate(cases):
    drifted, verdicts, sustained, by_prediction = 0, 0, 0, 0
    flagged = collections.Counter()
    for trial in range(trials):
        served, _ = shifts.shifted(test, actual, kind, feature=feature, size=size, seed=trial)
        rng = np.random.default_rng([number, trial])
        windows = [window(rng, served) for _ in range(settings.windows)]
        summary = drift.summarize(reference, windows, settings)
        drifted += summary["windows_drifted"]
        verdicts += summary["verdict"] == drift.DRIFT
        sustained += bool(summary["sustained"])
        for result in summary["windows"]:
            flagged.update(result["drifted_columns"])
            by_prediction += drift.PREDICTION in result["drifted_columns"]
    print(json.dumps({
        "kind": kind, "size": size, "feature": feature, "trials": trials,
        "windows": trials * settings.windows, "window_rows": settings.window_rows,
        "windows_drifted": drifted, "verdict_drift": verdicts, "sustained": sustained,
        "sustained_rule": f"{settings.sustained} of {settings.windows}",
        "prediction_drifted": by_prediction,
        "pool": int(task.label_shift_rows(actual).sum()) if kind == "labels" else len(test),
        "task": task.NAME,
        "flagged": flagged.most_common(3),
    }))
"""


def sh(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    return bench_scale.sh(command, cwd, env, who="bench-monitor")


def measured(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, int, str]:
    """Wall seconds, peak resident bytes of the whole process tree, exit code and output."""
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = bench_scale.peak_rss_while(process, process.pid, SAMPLE_SECONDS)
    output = process.stdout.read() if process.stdout else ""
    return time.monotonic() - started, peak, process.returncode, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--trials", type=int, default=10, help="monitor runs per case")
    parser.add_argument("--feature", default="", help="feature to shift (default: as make traffic)")
    parser.add_argument(
        "--task", default="classification", choices=("classification", "regression")
    )
    parser.add_argument("--project", type=Path, help="an existing bake (after make setup)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-monitor-"))
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "BENTOML_HOME": str(scratch / "bentoml")}
    env.pop("VIRTUAL_ENV", None)
    if args.project:
        project = args.project.resolve()
        logs_root = project / "build" / "bench-monitor"
    else:
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(scratch),
                                    extra_context={"task": args.task}))  # fmt: skip
        logs_root = scratch / "logs"
        print(f"bench-monitor: baking into {project}", file=sys.stderr)
        sh(["make", "setup"], project, env)
    if not (project / REFERENCE).is_file():
        print("bench-monitor: make repro (the reference profile)", file=sys.stderr)
        sh(["make", "repro"], project, env)
    package = bench_scale.package_of(project)
    params_file = project / "params.yaml"
    original = params_file.read_text()
    timed = []
    try:
        for rows in args.rows:
            folder = logs_root / str(rows)
            shutil.rmtree(folder, ignore_errors=True)
            print(f"bench-monitor: writing {rows} logged rows", file=sys.stderr)
            size = int(sh(["uv", "run", "python", "-c", WRITE_LOGS, package, str(rows),
                           str(folder), "5", REFERENCE], project, env).split()[-1])  # fmt: skip
            params = yaml.safe_load(original)
            params["monitor"]["logs"] = str(folder)
            params_file.write_text(yaml.safe_dump(params, sort_keys=False))
            print(f"bench-monitor: monitor on {rows} rows", file=sys.stderr)
            seconds, peak, code, output = measured(
                ["uv", "run", "python", "-m", f"{package}.cli", "monitor"], project, env
            )
            if code not in (0, 3, 4):
                sys.exit(f"bench-monitor: monitor failed (exit {code}):\n{output[-3000:]}")
            verdict = json.loads((project / MONITOR_SUMMARY).read_text())["verdict"]
            timed.append((rows, size, seconds, peak, code, verdict))
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        params_file.write_text(original)
        if args.project:
            shutil.rmtree(logs_root, ignore_errors=True)
    print("bench-monitor: false alarms and detections", file=sys.stderr)
    experiments = [EXPERIMENTS, package, str(args.trials), args.feature, json.dumps(SHIFT_SIZES)]
    output = sh(["uv", "run", "python", "-c", *experiments], project, env)
    cases = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    print("| logged rows | log on disk MB | `monitor` s | peak memory MB | exit | verdict |\n"
          "|---:|---:|---:|---:|---:|---|")  # fmt: skip
    for rows, size, seconds, peak, code, verdict in timed:
        print(f"| {rows:,} | {size / 1e6:.0f} | {seconds:.1f} | {peak / 1e6:.0f} | {code} "
              f"| {verdict} |")  # fmt: skip
    first = cases[0]
    print(f"\n{first['trials']} monitor runs per case, each {first['windows'] // first['trials']} "
          f"windows of {first['window_rows']} rows (params.yaml), sustained = "
          f"{first['sustained_rule']}; feature shifts move `{first['feature']}`.\n")  # fmt: skip
    print("| traffic | windows drifting | verdict drift | sustained drift | prediction drifting "
          "| columns flagged most |\n|---|---:|---:|---:|---:|---|")  # fmt: skip
    for case in cases:
        name = {
            "none": "held-out rows, no shift (false alarms)",
            "feature": f"`{case['feature']}` + {case['size']:g} std",
            "labels": f"{LABEL_SHIFTS.get(case['task'], 'label shift')} ({case['pool']} test rows)",
        }[case["kind"]]
        flagged = ", ".join(f"{column} {times}" for column, times in case["flagged"]) or "-"
        print(f"| {name} | {case['windows_drifted']}/{case['windows']} "
              f"| {case['verdict_drift']}/{case['trials']} | {case['sustained']}/{case['trials']} "
              f"| {case['prediction_drifted']}/{case['windows']} | {flagged} |")  # fmt: skip
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
