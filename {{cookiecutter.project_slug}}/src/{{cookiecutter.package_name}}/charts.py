"""What each evaluation image shows, as data (pure): the task declares its charts, `plots` draws
them from the plot-data tables that `evaluate` also writes for `dvc plots`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Chart:
    """One PNG image (`plots/<image>`) drawn from one plot-data table (`plots/<data>.json`)."""

    image: str
    data: str
    kind: Literal["confusion", "line", "scatter"]
    x: str
    y: str
    title: str
    # Confusion charts: the column holding each cell's count.
    weight: str = ""
    x_label: str = ""
    y_label: str = ""
    # A reference drawn under the data: the y = x line, or the y = 0 line.
    reference: Literal["none", "diagonal", "zero"] = "none"
    reference_label: str = ""
    # Legend of the data, formatted with the test-set scores, e.g. "ROC AUC = {roc_auc:.3f}".
    legend: str = ""
