"""The monitor's thin edges: the traffic sender against a stand-in service (standard library
HTTP server in a thread), log shipping between local folders, the log reader's tolerance."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.monitoring import logs, shipping, traffic


class Recorder(BaseHTTPRequestHandler):
    """Answers every POST like the service would (200, JSON) and records path, id and body."""

    seen: ClassVar[list[tuple[str, str, dict]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append((self.path, self.headers["X-Request-ID"], body))
        answer = json.dumps({"recorded": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def service():
    Recorder.seen = []
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Recorder.seen
    server.shutdown()
    server.server_close()


def test_traffic_sends_batches_with_their_ids_then_each_rows_feedback(service):
    """Batches go to /predict_batch under a chosen X-Request-ID; feedback names that id and the
    row's position in its batch; a missing value is sent as null."""
    url, seen = service
    X = pd.DataFrame({"a": [1.0, None, 3.0], "b": [4.0, 5.0, 6.0]})
    y = pd.Series(["no", "yes", "no"])
    sent = traffic.send(url, X, y, feedback=True, batch_rows=2)
    assert sent == {"rows": 3, "feedback": 3}
    batches = [item for item in seen if item[0] == "/predict_batch"]
    assert [len(body["rows"]) for _, _, body in batches] == [2, 1]
    assert batches[0][2]["rows"][1] == {"a": None, "b": 5.0}
    feedback = [body for path, _, body in seen if path == "/feedback"]
    assert feedback[2] == {"request_id": batches[1][1], "row": 0, "actual": "no"}


def test_traffic_without_a_service_fails_in_one_line():
    """Nothing listening: an expected failure pointing to `make serve`."""
    with pytest.raises(PipelineError, match="make serve"):
        traffic.send("http://127.0.0.1:9", pd.DataFrame({"a": [1.0]}), pd.Series([0]),
                     feedback=False)  # fmt: skip


def test_logs_push_then_pull_copies_every_file(tmp_path):
    """A local folder as the object store: push then pull gives the same files back."""
    source = tmp_path / "logs"
    (source / "predictions" / "2026-01-01").mkdir(parents=True)
    (source / "predictions" / "2026-01-01" / "a.jsonl").write_text("{}\n")
    store = tmp_path / "store"
    assert shipping.push(source, str(store)) == 1
    assert shipping.pull(str(store), tmp_path / "back") == 1
    assert (tmp_path / "back" / "predictions" / "2026-01-01" / "a.jsonl").read_text() == "{}\n"


def test_logs_url_must_be_set(monkeypatch):
    """Without PREDICTION_LOGS_URL, one line says what to set."""
    monkeypatch.delenv(shipping.URL_ENV, raising=False)
    with pytest.raises(PipelineError, match=shipping.URL_ENV):
        shipping.logs_url()


def test_a_half_written_last_line_is_skipped(tmp_path):
    """A file being written ends in half a record: the complete lines are read, the rest not."""
    now = dt.datetime.now(dt.UTC)
    folder = tmp_path / "predictions" / now.date().isoformat()
    folder.mkdir(parents=True)
    record = {"request_id": "r", "row": 0, "timestamp": now.isoformat(), "model_md5": "m",
              "features": {"a": 1.0}, "outputs": {"value": 2.0}}  # fmt: skip
    (folder / "w.jsonl").write_text(json.dumps(record) + "\n" + json.dumps(record)[:20])
    table = logs.read_predictions(tmp_path, ["a"], ["value"], days=1, now=now)
    assert table.num_rows == 1
    assert table["a"].to_pylist() == [1.0]


def test_records_older_than_days_are_left_out(tmp_path):
    """Only the last `days` days count, to the microsecond."""
    now = dt.datetime.now(dt.UTC)
    folder = tmp_path / "predictions" / now.date().isoformat()
    folder.mkdir(parents=True)
    lines = [
        json.dumps({"request_id": str(age), "row": 0, "model_md5": "m",
                    "timestamp": (now - dt.timedelta(days=age)).isoformat(),
                    "features": {"a": 1.0}, "outputs": {"value": 2.0}})
        for age in (0.5, 1.5)
    ]  # fmt: skip
    (folder / "w.jsonl").write_text("\n".join(lines) + "\n")
    table = logs.read_predictions(tmp_path, ["a"], ["value"], days=1, now=now)
    assert table["request_id"].to_pylist() == ["0.5"]
