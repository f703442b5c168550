"""Unit tests of the command line: expected failures are one readable line, not a traceback."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.cli import main


def test_params_typo_exits_2_with_one_line(tmp_path, capsys):
    """A misspelt key stops the stage with exit code 2 and a single line naming the key."""
    params = tmp_path / "params.yaml"
    params.write_text("ingest: {dataset: null, path: x.csv, target: y, colour: red}\n")
    assert main(["ingest", "--params", str(params)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "ingest.colour: Extra inputs are not permitted" in error


def test_unknown_stage_is_refused():
    """Only the pipeline's stages are accepted."""
    with pytest.raises(SystemExit):
        main(["deploy"])
