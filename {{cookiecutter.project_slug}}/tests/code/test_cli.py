"""Unit tests of the command lines: expected failures are one readable line, not a traceback."""

from __future__ import annotations

import importlib
import os
import signal

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import COMMANDS, main
from {{ cookiecutter.package_name }}.errors import PipelineError, run_command
from {{ cookiecutter.package_name }}.stages import ingest, run_stage
from tests.helpers import PROJECT_ROOT

TYPO = "ingest: {dataset: null, path: x.csv, target: y, colour: red}\n"
STAGES = list(yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"])


def command_line(name: str) -> list[str]:
    """A command with the options it requires."""
    return [name, *(["--base", "main"] if "--base" in COMMANDS[name][2] else [])]


def test_params_typo_exits_1_with_one_line(tmp_path, capsys):
    """A misspelt key stops a command with exit code 1 and a single line naming the key."""
    params = tmp_path / "params.yaml"
    params.write_text(TYPO)
    assert main(["--params", str(params), "register"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "ingest.colour: Extra inputs are not permitted" in error


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_reports_an_expected_failure_in_one_line(name, tmp_path, monkeypatch, capsys):
    """Each CLI command turns an expected failure into one line on stderr and exit code 1."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(TYPO)
    assert main(command_line(name)) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"{name}: ")
    assert error.count("\n") == 1


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_entry_point_reports_an_expected_failure_in_one_line(
    stage, tmp_path, monkeypatch, capsys
):
    """Each DVC stage, run as `python -m`, fails in one line naming itself, with exit code 1."""
    module = importlib.import_module(f"{ingest.__package__}.{stage}")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(TYPO)
    assert run_stage(stage, module.main) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"{stage}: params.yaml: ")
    assert error.count("\n") == 1


def test_unexpected_error_keeps_its_traceback():
    """A bug is not dressed up as an expected failure: the exception propagates."""

    def broken() -> None:
        raise KeyError("model_uri")

    with pytest.raises(KeyError):
        run_command("register", broken)


def test_expected_failure_message_is_the_whole_line(capsys):
    """The line is the command's name and the error's message, nothing else."""

    def refuse() -> None:
        raise PipelineError("run `make register` first")

    assert run_command("bento-model", refuse) == 1
    assert capsys.readouterr().err == "bento-model: run `make register` first\n"


def test_sigterm_while_a_run_is_open_exits_143_in_one_line(capsys):
    """Stopped by SIGTERM inside an MLflow run: one line and the shell's 128 + 15."""
    from {{ cookiecutter.package_name }} import tracking

    def train() -> None:
        tracking.configure()
        with tracking.started_run(experiment="sigterm-cli"):
            os.kill(os.getpid(), signal.SIGTERM)

    assert run_command("train", train) == 128 + signal.SIGTERM
    # (MLflow may log its own store set-up first.)
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == "train: stopped by SIGTERM; no MLflow run is left RUNNING"


def test_unknown_command_is_refused():
    """Only the project's commands are accepted."""
    with pytest.raises(SystemExit):
        main(["deploy"])
