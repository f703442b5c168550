"""Every notebook runs top to bottom on the configured data (headless; outputs are discarded)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from tests.helpers import PROJECT_ROOT

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))


def test_the_project_has_notebooks():
    """The exploration notebook ships with the project (and so is run below)."""
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom(path):
    """No cell raises, with the project's own kernel and the tests' temporary MLflow store."""
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on a failure
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.execution_count for cell in code)
