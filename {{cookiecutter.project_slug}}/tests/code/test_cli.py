"""Unit tests of the command lines: expected failures are one readable line, not a traceback."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.stages import ingest, run_stage

TYPO = "ingest: {dataset: null, path: x.csv, target: y, colour: red}\n"


def test_params_typo_exits_2_with_one_line(tmp_path, capsys):
    """A misspelt key stops a command with exit code 2 and a single line naming the key."""
    params = tmp_path / "params.yaml"
    params.write_text(TYPO)
    assert main(["--params", str(params), "register"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "ingest.colour: Extra inputs are not permitted" in error


def test_stage_entry_point_reports_a_params_typo_in_one_line(tmp_path, monkeypatch, capsys):
    """A DVC stage run as `python -m` fails the same way, naming itself and the key."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(TYPO)
    assert run_stage("ingest", ingest.main) == 2
    error = capsys.readouterr().err
    assert error.startswith("ingest: params.yaml: ")
    assert error.count("\n") == 1


def test_unknown_command_is_refused():
    """Only the project's commands are accepted."""
    with pytest.raises(SystemExit):
        main(["deploy"])
