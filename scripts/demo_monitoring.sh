#!/usr/bin/env bash
# The last act of `make demo`: serve the demo project's bento, send it the held-out test split,
# then the same rows with an important feature shifted, and run the monitor after each. The
# first verdict is "no drift", the second "drift" (the monitor exits 3, so make reports an error).
# Usage: scripts/demo_monitoring.sh <baked project folder>
set -euo pipefail
cd "$1"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
mkdir -p build
# Its own process group, so the whole server (make, uv, bentoml and its workers) stops at exit.
setsid make serve PORT="$port" >build/demo-serve.log 2>&1 &
server=$!
trap 'kill -TERM -- "-$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
python3 - "$url/readyz" "$server" <<'PY'
import os, sys, time, urllib.request
for _ in range(180):
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=5):
            sys.exit(0)
    except OSError:
        os.kill(int(sys.argv[2]), 0)  # fails (and stops the demo) if the server exited
        time.sleep(1)
sys.exit("the demo service was not ready within 180 s (see build/demo-serve.log)")
PY
echo "== held-out traffic: expect no drift"
make traffic URL="$url"
make monitor
echo "== the same rows, one important feature shifted by 2 standard deviations: expect drift"
make traffic URL="$url" SHIFT=feature SIZE=2
make monitor || true
python3 -c 'import json, sys
verdict = json.load(open("build/monitor/summary.json"))["verdict"]
sys.exit(None if verdict == "drift" else f"expected drift, the monitor says {verdict}")'
echo "drift found, as expected; open the report: $PWD/build/monitor/report.html"
