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


# The monitor's images (`make monitor`).


def draw_p_values(
    p_values: Mapping[str, float], thresholds: Mapping[str, float], title: str, path: Path
) -> None:
    """Each tested column's p-value (log scale, the prediction last), red below its drift
    threshold; the thresholds (`feature`, `prediction`) as lines."""
    names = list(p_values)
    floor = 1e-300  # a p-value of 0 still gets a bar on the log scale
    values = [max(p_values[name], floor) for name in names]
    limits = [thresholds["prediction"] if i == len(names) - 1 else thresholds["feature"]
              for i in range(len(names))]  # fmt: skip
    figure, axes = plt.subplots(figsize=(7, max(2.5, 0.25 * len(names) + 1)))
    pairs = zip(values, limits, strict=True)
    colors = ["tab:red" if value < limit else "tab:blue" for value, limit in pairs]
    axes.barh(names, values, color=colors)
    axes.set_xscale("log")
    for (kind, limit), style in zip(thresholds.items(), ("--", ":"), strict=False):
        axes.axvline(limit, linestyle=style, color="grey", label=f"{kind} threshold {limit:.2g}")
    axes.invert_yaxis()
    axes.set(xlabel="p-value (lower: more different from the reference)", title=title)
    axes.legend(loc="best")
    _save(figure, path)


def draw_distributions(
    panels: list[tuple[str, Any, Any, bool]], path: Path, labels: tuple[str, str]
) -> None:
    """One panel per column: the reference's values against a window's (histograms, or class
    shares for a categorical column)."""
    figure, grid = plt.subplots(len(panels), 1, figsize=(6, 2.6 * len(panels)), squeeze=False)
    for axes, (title, reference, window, categorical) in zip(grid[:, 0], panels, strict=True):
        if categorical:
            names = sorted({*map(str, reference), *map(str, window)})
            for offset, (values, label) in enumerate(((reference, labels[0]), (window, labels[1]))):
                texts = [str(value) for value in values]
                shares = [texts.count(name) / max(len(texts), 1) for name in names]
                positions = np.arange(len(names)) + (offset - 0.5) * 0.4
                axes.bar(positions, shares, width=0.4, label=label)
            axes.set_xticks(np.arange(len(names)), names)
            axes.set_ylabel("share")
        else:
            both = np.concatenate([np.asarray(reference, float), np.asarray(window, float)])
            both = both[~np.isnan(both)]
            bins = np.histogram_bin_edges(both, bins=20) if len(both) else 10
            for values, label in ((reference, labels[0]), (window, labels[1])):
                array = np.asarray(values, float)
                axes.hist(array[~np.isnan(array)], bins=bins, density=True, alpha=0.5, label=label)
            axes.set_ylabel("density")
        axes.set_title(title)
        axes.legend(loc="best")
    _save(figure, path)


def _save(figure: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
