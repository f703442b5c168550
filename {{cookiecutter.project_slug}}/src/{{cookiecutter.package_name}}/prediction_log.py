"""The service's prediction log: every answered row as a JSON line, written off the request path.

A request only appends one tuple of values it already has to a bounded in-memory buffer; a
background thread turns them into JSON lines and writes them to files rotated by size and age,
one file at a time per worker process (file names carry host and pid, so workers never share a
file and need no lock). When the buffer is full, or the disk fails (full, read-only, folder
removed), records are dropped and counted, never raised into the request: a failing log never
turns into a failing answer. The writer keeps trying with new files after a failure.

Standard library only: the serving path imports no monitoring library. Record format (one JSON
object per line; the monitor reads them back):
`<dir>/predictions/<YYYY-MM-DD UTC>/<host>-<pid>-<start epoch>-<seq>.jsonl` with the keys below,
and ground truth from `/feedback` under `<dir>/feedback/<date>/` likewise.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import math
import os
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .paths import PREDICTION_LOG_DIR

# Keys of a prediction record.
REQUEST_ID = "request_id"
ROW = "row"  # the row's position in its request (0 for /predict)
TIMESTAMP = "timestamp"  # ISO 8601, UTC
MODEL_NAME = "model_name"
MODEL_VERSION = "model_version"
BENTO_MODEL = "bento_model"
MODEL_MD5 = "model_md5"
FEATURES = "features"  # feature name -> value (null: missing)
OUTPUTS = "outputs"  # `task.columns` names -> value (class probabilities, or `value`)
# Keys of a feedback record (with REQUEST_ID, ROW and TIMESTAMP).
ACTUAL = "actual"

PREDICTIONS_FOLDER = "predictions"
FEEDBACK_FOLDER = "feedback"
SUFFIX = ".jsonl"

# Environment variables and their defaults.
ENV_ENABLED = "PREDICTION_LOG"
ENV_SAMPLE = "PREDICTION_LOG_SAMPLE"
ENV_DIR = "PREDICTION_LOG_DIR"
ENV_ROTATE_BYTES = "PREDICTION_LOG_ROTATE_BYTES"
ENV_ROTATE_SECONDS = "PREDICTION_LOG_ROTATE_SECONDS"
ENV_BUFFER = "PREDICTION_LOG_BUFFER"
DEFAULT_ROTATE_BYTES = 16 * 2**20
DEFAULT_ROTATE_SECONDS = 3600.0
DEFAULT_BUFFER = 100_000
# How often the background thread wakes to write what the requests left: records are on disk
# within about this long, and a busy service writes in large, cheap chunks.
FLUSH_SECONDS = 0.5
# The writer thread serialises in the same process as the requests: it lets go of the GIL after
# each request's records and every this many rows, so a request never waits behind a whole flush
# (Python's switch interval would otherwise let it hold on for 5 ms at a time).
YIELD_ROWS = 32

logger = logging.getLogger(__name__)

# (request id, request time, rows) where rows() gives (features, outputs) per row; called in the
# background thread, so the request never pays for building dicts or for JSON.
Rows = Callable[[], Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]]
Counter = Callable[[int], object]


@dataclass(frozen=True)
class LogSettings:
    """The prediction log's settings (`settings_from` reads them from the environment)."""

    enabled: bool = True
    sample: float = 1.0
    folder: Path = PREDICTION_LOG_DIR
    rotate_bytes: int = DEFAULT_ROTATE_BYTES
    rotate_seconds: float = DEFAULT_ROTATE_SECONDS
    buffer: int = DEFAULT_BUFFER


class SettingsError(ValueError):
    """An invalid PREDICTION_LOG_* value; its message is one line naming the variable."""


def _number(environ: Mapping[str, str], name: str, default: float, kind: type) -> Any:
    raw = environ.get(name, "").strip()
    if not raw:
        return kind(default)
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a {kind.__name__}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{name}={raw!r}: expected a finite number")
    return value


def settings_from(environ: Mapping[str, str]) -> LogSettings:
    """The settings the environment asks for; SettingsError (one line) on an invalid value."""
    switch = environ.get(ENV_ENABLED, "on").strip().lower() or "on"
    if switch not in {"on", "off"}:
        raise SettingsError(f"{ENV_ENABLED}={switch!r}: expected on or off")
    sample = _number(environ, ENV_SAMPLE, 1.0, float)
    if not 0.0 <= sample <= 1.0:
        raise SettingsError(f"{ENV_SAMPLE}={sample!r}: expected a share between 0 and 1")
    rotate_bytes = _number(environ, ENV_ROTATE_BYTES, DEFAULT_ROTATE_BYTES, int)
    rotate_seconds = _number(environ, ENV_ROTATE_SECONDS, DEFAULT_ROTATE_SECONDS, float)
    buffer = _number(environ, ENV_BUFFER, DEFAULT_BUFFER, int)
    for name, value in ((ENV_ROTATE_BYTES, rotate_bytes), (ENV_ROTATE_SECONDS, rotate_seconds),
                        (ENV_BUFFER, buffer)):  # fmt: skip
        if value <= 0:
            raise SettingsError(f"{name}={value!r}: expected a positive number")
    folder = environ.get(ENV_DIR, "").strip() or str(PREDICTION_LOG_DIR)
    return LogSettings(switch == "on", sample, Path(folder), rotate_bytes, rotate_seconds, buffer)


def timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


class RotatingFile:
    """JSON lines into `<folder>/<day>/<prefix>-<seq>.jsonl`, a new file past a size or an age,
    on a new UTC day, after any write error (so a torn line is always a file's last), and when
    the file was removed (a write to a deleted file succeeds and is lost)."""

    def __init__(self, folder: Path, prefix: str, rotate_bytes: int, rotate_seconds: float):
        self.folder, self.prefix = folder, prefix
        self.rotate_bytes, self.rotate_seconds = rotate_bytes, rotate_seconds
        self.stream: IO[str] | None = None
        self.path: Path | None = None
        self.seq = 0
        self.size = 0
        self.opened = 0.0
        self.day = ""

    def write(self, lines: Sequence[str], now: float) -> None:
        """Write and flush `lines` (each ends with a newline); OSError if the disk refuses."""
        try:
            stream = self.open(now) if self.stream is None or self.due(now) else self.stream
            text = "".join(lines)
            stream.write(text)
            stream.flush()
            self.size += len(text)
        except OSError:
            self.close()
            raise

    def due(self, now: float) -> bool:
        return (
            self.size >= self.rotate_bytes
            or now - self.opened >= self.rotate_seconds
            or day(now) != self.day
            or self.path is None
            or not self.path.exists()
        )

    def open(self, now: float) -> IO[str]:
        self.close()
        self.seq += 1
        self.day, self.opened, self.size = day(now), now, 0
        path = self.folder / self.day / f"{self.prefix}-{self.seq}{SUFFIX}"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.stream = path.open("a", encoding="utf-8")
        self.path = path
        return self.stream

    def close(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            # Whatever it could not write out is already counted as dropped.
            with contextlib.suppress(OSError):
                stream.close()


def _ignore(count: int) -> None:
    return None


class PredictionLog:
    """The writer of one worker process: `predictions` and `feedback` only enqueue; a daemon
    thread writes; `close` writes what is left (also at interpreter exit)."""

    def __init__(
        self,
        settings: LogSettings,
        model: Mapping[str, str],
        *,
        written: Counter = _ignore,
        dropped: Counter = _ignore,
    ) -> None:
        self.settings = settings
        self.written, self.dropped = written, dropped
        # The keys every record of this model shares, serialised once.
        shared = {key: model.get(key, "") for key in (MODEL_NAME, MODEL_VERSION, BENTO_MODEL,
                                                      MODEL_MD5)}  # fmt: skip
        self.model_json = json.dumps(shared)[1:-1]
        self.pending: deque[tuple[str, str, float, Any, int]] = deque()
        self.queued = 0  # rows in `pending`, guarded by `lock`
        self.lock = threading.Lock()
        self.writing = threading.Lock()  # one drain at a time (the thread's, or `close`'s)
        self.stopping = threading.Event()
        prefix = f"{socket.gethostname()}-{os.getpid()}-{int(time.time())}"
        rotate = (settings.rotate_bytes, settings.rotate_seconds)
        self.files = {
            PREDICTIONS_FOLDER: RotatingFile(settings.folder / PREDICTIONS_FOLDER, prefix, *rotate),
            FEEDBACK_FOLDER: RotatingFile(settings.folder / FEEDBACK_FOLDER, prefix, *rotate),
        }
        self.failing = False
        self.thread: threading.Thread | None = None
        if settings.enabled:
            self.thread = threading.Thread(target=self.run, name="prediction-log", daemon=True)
            self.thread.start()
            atexit.register(self.close)

    def sampled(self) -> bool:
        """Whether this request is logged (decided once per request, all its rows or none)."""
        sample = self.settings.sample
        return self.settings.enabled and (sample >= 1.0 or random.random() < sample)  # noqa: S311

    def predictions(self, request_id: str, rows: Rows, count: int) -> None:
        """Queue `count` answered rows of one request; never blocks, never raises."""
        self.enqueue(PREDICTIONS_FOLDER, request_id, rows, count)

    def feedback(self, request_id: str, row: int, actual: Any) -> bool:
        """Queue one ground-truth record; False if it was dropped (buffer full, log off)."""
        return self.enqueue(FEEDBACK_FOLDER, request_id, (row, actual), 1)

    def enqueue(self, kind: str, request_id: str, payload: Any, count: int) -> bool:
        if self.thread is None:
            return False
        with self.lock:
            if self.queued + count > self.settings.buffer:
                full = True
            else:
                full = False
                self.queued += count
                self.pending.append((kind, request_id, time.time(), payload, count))
        if full:
            self.dropped(count)
        return not full

    def run(self) -> None:
        while not self.stopping.wait(FLUSH_SECONDS):
            self.drain()
        self.drain()

    def drain(self) -> None:
        """Write everything queued so far, one write per file kind."""
        with self.writing:
            self.write_pending()

    def write_pending(self) -> None:
        taken: list[tuple[str, str, float, Any, int]] = []
        while self.pending:
            taken.append(self.pending.popleft())
        if not taken:
            return
        with self.lock:
            self.queued -= sum(item[-1] for item in taken)
        lines: dict[str, list[str]] = {PREDICTIONS_FOLDER: [], FEEDBACK_FOLDER: []}
        for kind, request_id, epoch, payload, count in taken:
            time.sleep(0)  # hand the GIL to a waiting request between records (see YIELD_ROWS)
            try:
                lines[kind].extend(self.lines(kind, request_id, epoch, payload))
            except Exception:  # a record that cannot be serialised must not stop the log
                logger.exception("prediction log: a record could not be written")
                self.dropped(count)
        now = time.time()
        for kind, chunk in lines.items():
            if chunk:
                self.write(kind, chunk, now)

    def lines(self, kind: str, request_id: str, epoch: float, payload: Any) -> list[str]:
        # Built from pieces rather than one dict per row: the model's keys are serialised once.
        head = "{" + f'"{REQUEST_ID}": {json.dumps(request_id)}, '
        stamp = f'"{TIMESTAMP}": "{timestamp(epoch)}"'
        if kind == FEEDBACK_FOLDER:
            row, actual = payload
            return [f'{head}"{ROW}": {row}, {stamp}, "{ACTUAL}": {json.dumps(actual)}' + "}\n"]
        dumps, lines = json.dumps, []
        for index, (features, outputs) in enumerate(payload()):
            body = f'"{FEATURES}": {dumps(features)}, "{OUTPUTS}": {dumps(outputs)}'
            lines.append(f'{head}"{ROW}": {index}, {stamp}, {self.model_json}, {body}' + "}\n")
            if index % YIELD_ROWS == YIELD_ROWS - 1:
                time.sleep(0)
        return lines

    def write(self, kind: str, lines: list[str], now: float) -> None:
        try:
            self.files[kind].write(lines, now)
        except OSError as error:
            self.dropped(len(lines))
            if not self.failing:  # one warning per failing spell, not one per flush
                logger.warning("prediction log: cannot write to %s (%s); records are dropped "
                               "until it works again", self.settings.folder, error)  # fmt: skip
            self.failing = True
            return
        if self.failing:
            logger.warning("prediction log: writing to %s again", self.settings.folder)
        self.failing = False
        self.written(len(lines))

    def close(self) -> None:
        """Stop the thread after it has written everything queued; close the files."""
        thread, self.thread = self.thread, None
        if thread is None:
            return
        self.stopping.set()
        thread.join(timeout=30)
        for file in self.files.values():
            file.close()
