"""`make bench-scale`: the pipeline on your own data at 100k and 1M rows, timed and measured.

One run on this machine: bake a default classification project, then for each size write an own
Parquet table (30 numeric features, one with missing values, a `yes`/`no` target) into
data/external/, point params.yaml at it (as the README says) and time `make repro` from scratch.
While it runs, the resident memory of the whole process tree (make, DVC and each stage) is
sampled; the table gives wall time, peak memory, the table's own size in memory and the ratio,
and which stage reached the peak. Nothing but loopback and the bake's folder is touched.
"""

from __future__ import annotations

import argparse
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
FEATURES = 30  # as wide as the default dataset (breast_cancer)
SAMPLE_SECONDS = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")

# Writes the table in the project's environment; prints its size in memory (bytes).
WRITE_TABLE = """
import sys
import numpy as np, pandas as pd
rows, features, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(5)
table = pd.DataFrame(rng.normal(size=(rows, features)), columns=[f"x{i}" for i in range(features)])
signal = table["x0"] - 0.5 * table["x1"] + rng.normal(0, 1, rows)
table["churned"] = np.where(signal > 0, "yes", "no")
table.loc[rng.random(rows) < 0.05, "x2"] = np.nan
table.to_parquet(path, index=False)
print(int(pd.read_parquet(path).memory_usage(deep=True).sum()))
"""


def processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, resident bytes, command line) of every process, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            pages = int((entry / "statm").read_text().split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended while being read
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        found[int(entry.name)] = (parent, pages * PAGE, command)
    return found


def tree(root: int, table: dict[int, tuple[int, int, str]]) -> list[int]:
    members, todo = [], [root]
    while todo:
        pid = todo.pop()
        members.append(pid)
        todo.extend(child for child, (parent, _, _) in table.items() if parent == pid)
    return members


def tree_rss(root: int, table: dict[int, tuple[int, int, str]]) -> int:
    """Resident bytes of a process and all its descendants (servers and DVC fork children)."""
    return sum(table[pid][1] for pid in tree(root, table) if pid in table)


def peak_rss_while(running: subprocess.Popen, root: int, sample_seconds: float) -> int:
    """The peak of `tree_rss(root)` sampled until `running` exits (root may be another process,
    e.g. a server measured while its client runs)."""
    peak = 0
    while running.poll() is None:
        peak = max(peak, tree_rss(root, processes()))
        time.sleep(sample_seconds)
    return peak


def package_of(project: Path) -> str:
    """The baked project's package name (its one folder under src/)."""
    (init,) = (project / "src").glob("*/__init__.py")
    return init.parent.name


def measured_repro(project: Path, env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak resident bytes of the whole tree, and the stage running at the peak."""
    started = time.monotonic()
    repro = subprocess.Popen(
        ["make", "repro"], cwd=project, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    peak, peak_stage = 0, "-"
    while repro.poll() is None:
        table = processes()
        members = tree(repro.pid, table)
        total = sum(table[pid][1] for pid in members if pid in table)
        if total > peak:
            stages = [
                table[pid][2] for pid in members if pid in table and ".stages." in table[pid][2]
            ]
            peak, peak_stage = total, stages[0].split(".stages.")[1].split()[0] if stages else "dvc"
        time.sleep(SAMPLE_SECONDS)
    output = repro.stdout.read() if repro.stdout else ""
    if repro.returncode != 0:
        sys.exit(f"bench-scale: make repro failed:\n{output[-3000:]}")
    return time.monotonic() - started, peak, peak_stage


def sh(command: list[str], cwd: Path, env: dict[str, str], who: str = "bench-scale") -> str:
    """Run a command; stop the benchmark (`who` names it) with the command's output if it fails."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{who}: {' '.join(command)} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(scratch)))
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "BENTOML_HOME": str(scratch / "bentoml")}
    env.pop("VIRTUAL_ENV", None)
    print(f"bench-scale: baking into {project}", file=sys.stderr)
    sh(["make", "setup"], project, env)
    source = "data/external/table.parquet"
    params_file = project / "params.yaml"
    params = yaml.safe_load(params_file.read_text())
    params["ingest"] = {"dataset": None, "path": source, "target": "churned"}
    params["evaluate"] = {"thresholds": {}, "directional": {"x0": "increase"}}
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    results = []
    for rows in args.rows:
        # From scratch: no outputs, no lock and no DVC cache (its run cache would restore them).
        for output in ("data/raw", "data/prepared", "models", ".dvc/cache"):
            shutil.rmtree(project / output, ignore_errors=True)
        (project / "dvc.lock").unlink(missing_ok=True)
        size = int(sh(["uv", "run", "python", "-c", WRITE_TABLE, str(rows), str(FEATURES),
                       source], project, env).strip().splitlines()[-1])  # fmt: skip
        print(f"bench-scale: make repro on {rows} rows", file=sys.stderr)
        seconds, peak, stage = measured_repro(project, env)
        results.append((rows, seconds, peak, size, stage))
    print("| rows | `make repro` s | peak memory MB | table in memory MB | peak / table "
          "| stage at the peak |\n|---:|---:|---:|---:|---:|---|")  # fmt: skip
    for rows, seconds, peak, size, stage in results:
        print(f"| {rows:,} | {seconds:.1f} | {peak / 1e6:.0f} | {size / 1e6:.0f} "
              f"| {peak / size:.1f}x | {stage} |")  # fmt: skip
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
