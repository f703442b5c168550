"""The prediction log writer: records as documented, rotation, sampling, a bounded buffer, and a
failing disk that costs records (counted) but never raises."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import prediction_log as plog
from {{ cookiecutter.package_name }}.prediction_log import (
    LogSettings,
    PredictionLog,
    RotatingFile,
    SettingsError,
    settings_from,
)

MODEL = {plog.MODEL_NAME: "m", plog.MODEL_VERSION: "3", plog.BENTO_MODEL: "m:abc",
         plog.MODEL_MD5: "0123"}  # fmt: skip


class Tally:
    """A counter callback that remembers its total."""

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, count: int) -> None:
        self.total += count


def rows(n: int):
    return lambda: [({"x": float(i), "y": None}, {"value": i / 10}) for i in range(n)]


def written_lines(folder: Path, kind: str = plog.PREDICTIONS_FOLDER) -> list[dict]:
    files = sorted((folder / kind).glob(f"*/*{plog.SUFFIX}"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def opened(folder: Path, **settings) -> tuple[PredictionLog, Tally, Tally]:
    written, dropped = Tally(), Tally()
    log = PredictionLog(LogSettings(folder=folder, **settings), MODEL, written=written,
                        dropped=dropped)  # fmt: skip
    return log, written, dropped


def test_default_settings_need_no_environment():
    """With nothing set, logging is on for every request, into `logs/`, rotated at 16 MiB/1 h."""
    assert settings_from({}) == LogSettings()
    assert settings_from({}).folder == Path("logs")


def test_settings_are_read_from_the_environment(tmp_path):
    """Each PREDICTION_LOG_* variable sets its field."""
    environ = {"PREDICTION_LOG": "off", "PREDICTION_LOG_SAMPLE": "0.25",
               "PREDICTION_LOG_DIR": str(tmp_path), "PREDICTION_LOG_ROTATE_BYTES": "1000",
               "PREDICTION_LOG_ROTATE_SECONDS": "60", "PREDICTION_LOG_BUFFER": "10"}  # fmt: skip
    assert settings_from(environ) == LogSettings(False, 0.25, tmp_path, 1000, 60.0, 10)


@pytest.mark.parametrize(
    ("name", "value"),
    [("PREDICTION_LOG", "yes"), ("PREDICTION_LOG_SAMPLE", "1.5"), ("PREDICTION_LOG_SAMPLE", "x"),
     ("PREDICTION_LOG_ROTATE_BYTES", "0"), ("PREDICTION_LOG_ROTATE_BYTES", "1.5"),
     ("PREDICTION_LOG_ROTATE_SECONDS", "nan"), ("PREDICTION_LOG_BUFFER", "-1")],
)  # fmt: skip
def test_invalid_setting_is_one_line_naming_the_variable(name, value):
    """A wrong value is refused with one line that names the variable and the value."""
    with pytest.raises(SettingsError) as error:
        settings_from({name: value})
    assert name in str(error.value)
    assert value in str(error.value)
    assert "\n" not in str(error.value)


def test_each_row_is_one_record_with_the_documented_keys(tmp_path):
    """A request's rows become one JSON line each: id, row, UTC time, model, features, outputs."""
    log, written, _ = opened(tmp_path)
    log.predictions("req-1", rows(3), 3)
    log.close()
    records = written_lines(tmp_path)
    assert [r[plog.ROW] for r in records] == [0, 1, 2]
    assert written.total == 3
    first = records[0]
    assert set(first) == {plog.REQUEST_ID, plog.ROW, plog.TIMESTAMP, plog.MODEL_NAME,
                          plog.MODEL_VERSION, plog.BENTO_MODEL, plog.MODEL_MD5, plog.FEATURES,
                          plog.OUTPUTS}  # fmt: skip
    assert (first[plog.REQUEST_ID], first[plog.MODEL_VERSION]) == ("req-1", "3")
    assert first[plog.FEATURES] == {"x": 0.0, "y": None}
    assert first[plog.OUTPUTS] == {"value": 0}
    assert first[plog.TIMESTAMP].endswith("+00:00")


def test_feedback_goes_to_its_own_folder(tmp_path):
    """Ground truth is written under feedback/ with request id, row, time and actual."""
    log, _, _ = opened(tmp_path)
    assert log.feedback("req-1", 2, "yes")
    log.close()
    (record,) = written_lines(tmp_path, plog.FEEDBACK_FOLDER)
    assert (record[plog.REQUEST_ID], record[plog.ROW], record[plog.ACTUAL]) == ("req-1", 2, "yes")


def test_file_names_carry_host_pid_and_day(tmp_path):
    """Files are `predictions/<UTC day>/<host>-<pid>-<start>-<seq>.jsonl`: no two workers share."""
    log, _, _ = opened(tmp_path)
    log.predictions("r", rows(1), 1)
    log.close()
    (path,) = (tmp_path / plog.PREDICTIONS_FOLDER).glob("*/*")
    assert path.parent.name == plog.day(time.time())
    assert f"-{os.getpid()}-" in path.name
    assert path.name.endswith("-1.jsonl")


def test_files_rotate_by_size_and_age(tmp_path):
    """A file past the size limit or older than the age limit is followed by a new one."""
    by_size = RotatingFile(tmp_path / "size", "p", rotate_bytes=10, rotate_seconds=3600)
    now = time.time()
    for _ in range(3):
        by_size.write(['{"a": 123456789}\n'], now)
    by_age = RotatingFile(tmp_path / "age", "p", rotate_bytes=10**9, rotate_seconds=60)
    by_age.write(["{}\n"], now)
    by_age.write(["{}\n"], now + 30)
    by_age.write(["{}\n"], now + 61)
    assert len(list((tmp_path / "size").glob("*/*"))) == 3
    assert len(list((tmp_path / "age").glob("*/*"))) == 2


def test_sample_zero_logs_nothing(tmp_path):
    """With PREDICTION_LOG_SAMPLE=0 no request is chosen for the log."""
    log, _, _ = opened(tmp_path, sample=0.0)
    assert not any(log.sampled() for _ in range(1000))
    log.close()
    assert not (tmp_path / plog.PREDICTIONS_FOLDER).exists()


def test_logging_off_starts_no_thread_and_records_nothing(tmp_path):
    """PREDICTION_LOG=off: nothing sampled, feedback not recorded, no folder written."""
    log, _, _ = opened(tmp_path, enabled=False)
    assert not log.sampled()
    assert log.thread is None
    assert not log.feedback("r", 0, 1)
    assert not tmp_path.joinpath(plog.FEEDBACK_FOLDER).exists()


def test_full_buffer_drops_and_counts_without_blocking(tmp_path):
    """Rows that would overfill the buffer are dropped and counted; the caller goes on (here
    while the writer is held up, so nothing leaves the buffer)."""
    log, _, dropped = opened(tmp_path, buffer=5)
    with log.writing:  # the writer thread waits for this before it takes anything
        log.predictions("a", rows(4), 4)
        log.predictions("b", rows(4), 4)  # 4 + 4 > 5: refused whole
        log.predictions("c", rows(1), 1)  # still fits
    log.close()
    assert dropped.total == 4
    assert {r[plog.REQUEST_ID] for r in written_lines(tmp_path)} == {"a", "c"}


def test_unwritable_folder_drops_counts_and_recovers(tmp_path):
    """A folder that cannot be written (here: a file stands in its way) drops the records and
    counts them, raises nothing, and the log writes again once the folder is usable."""
    folder = tmp_path / "logs"
    folder.write_text("not a folder")
    log, written, dropped = opened(folder)
    log.predictions("lost", rows(2), 2)
    log.drain()
    assert (dropped.total, written.total) == (2, 0)
    folder.unlink()
    log.predictions("kept", rows(1), 1)
    log.close()
    assert (dropped.total, written.total) == (2, 1)
    assert [r[plog.REQUEST_ID] for r in written_lines(folder)] == ["kept"]


def test_removed_folder_is_made_again(tmp_path):
    """Removing the log folder while the service runs loses nothing written afterwards."""
    log, written, _ = opened(tmp_path / "logs")
    log.predictions("first", rows(1), 1)
    log.drain()
    shutil.rmtree(tmp_path / "logs")
    log.predictions("second", rows(1), 1)
    log.close()
    assert [r[plog.REQUEST_ID] for r in written_lines(tmp_path / "logs")] == ["second"]
    assert written.total == 2


def test_disk_errors_on_write_are_counted_not_raised(tmp_path, monkeypatch):
    """A full disk (ENOSPC on write) drops the chunk and counts it; the request never sees it."""
    log, written, dropped = opened(tmp_path)

    def full(self, lines, now):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(RotatingFile, "write", full)
    log.predictions("r", rows(3), 3)
    log.close()
    assert (dropped.total, written.total) == (3, 0)
