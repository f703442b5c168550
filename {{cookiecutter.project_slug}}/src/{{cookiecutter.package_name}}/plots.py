"""Evaluation images for people (PNG, matplotlib edge), drawn from the task's charts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI runners or servers

import matplotlib.pyplot as plt
import numpy as np

from .charts import Chart


def draw(chart: Chart, rows: list[dict[str, Any]], scores: Mapping[str, float], path: Path) -> None:
    figure, axes = plt.subplots(figsize=(5, 4.5))
    x = [row[chart.x] for row in rows]
    y = [row[chart.y] for row in rows]
    label = chart.legend.format(**scores) if chart.legend else None
    if chart.kind == "confusion":
        from sklearn.metrics import ConfusionMatrixDisplay

        labels = list(dict.fromkeys(y))
        counts = {(row[chart.y], row[chart.x]): row[chart.weight] for row in rows}
        matrix = [[counts.get((actual, predicted), 0) for predicted in labels] for actual in labels]
        ConfusionMatrixDisplay(np.array(matrix), display_labels=labels).plot(
            ax=axes, colorbar=False
        )
    elif chart.kind == "line":
        axes.plot(x, y, label=label)
    else:
        axes.scatter(x, y, s=12, alpha=0.7, label=label)
    if chart.reference == "diagonal":
        low, high = min(*x, *y), max(*x, *y)
        axes.plot([low, high], [low, high], linestyle="--", color="grey",
                  label=chart.reference_label or None)  # fmt: skip
    elif chart.reference == "zero":
        axes.axhline(0, linestyle="--", color="grey", label=chart.reference_label or None)
    if chart.kind != "confusion":
        axes.set(xlabel=chart.x_label, ylabel=chart.y_label)
    axes.set_title(chart.title)
    if axes.get_legend_handles_labels()[1]:
        axes.legend(loc="best")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
