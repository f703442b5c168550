"""The monitor's outputs (`build/monitor/`): summary.json for machines, summary.md for a GitHub
job summary or issue, report.html for people (self-contained: the PNGs are inlined)."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .. import task
from ..data_io import write_json
from . import drift
from .reference import Reference

SUMMARY_JSON, SUMMARY_MD, REPORT_HTML = "summary.json", "summary.md", "report.html"
P_VALUES_PNG, DISTRIBUTIONS_PNG = "p_values.png", "distributions.png"
# The distributions drawn: the prediction and the features closest to drifting.
DRAWN_FEATURES = 5
HEADLINES = {
    drift.NO_DRIFT: "no drift",
    drift.DRIFT: "drift",
    drift.NOT_ENOUGH_DATA: "not enough data",
}


def headline(summary: Mapping[str, Any]) -> str:
    """One line: the verdict and why."""
    verdict = summary["verdict"]
    rows = summary["rows"]
    if verdict == drift.NOT_ENOUGH_DATA:
        need = summary["params"]["window_rows"]
        return (f"not enough data: {rows.get('reference_model', 0)} logged rows of this model in "
                f"the last {summary['params']['days']} days, a window needs {need}")  # fmt: skip
    windows = summary["windows"]
    text = f"{HEADLINES[verdict]}: {summary['windows_drifted']} of {len(windows)} windows drift"
    if windows[0]["drifted_columns"]:
        text += f" (newest: {', '.join(windows[0]['drifted_columns'][:5])})"
    live = summary.get("live") or {}
    if live.get("degraded"):
        text += f"; live {live['metric']} is {live['drop']:.3f} worse than on the test set"
    if summary["sustained"]:
        text += "; sustained: retrain"
    return text


def p_values(window: Mapping[str, Any]) -> dict[str, float]:
    columns = {name: result["p_value"] for name, result in window["features"].items()}
    columns[drift.PREDICTION] = window["prediction"]["p_value"]
    return {name: float(value) for name, value in columns.items() if value is not None}


def draw(summary: Mapping[str, Any], reference: Reference, windows: Sequence[pd.DataFrame],
           out: Path) -> list[Path]:  # fmt: skip
    if not windows:
        return []
    # matplotlib only when there is something to draw (a second of imports).
    from .. import plots

    newest = summary["windows"][0]
    drawn = [out / P_VALUES_PNG, out / DISTRIBUTIONS_PNG]
    plots.draw_p_values(p_values(newest), {"feature": summary["threshold"],
                        "prediction": summary["prediction_threshold"]},
                        "Newest window: p-value per column", drawn[0])  # fmt: skip
    closest = sorted(
        (name for name in newest["features"] if newest["features"][name]["p_value"] is not None),
        key=lambda name: newest["features"][name]["p_value"],
    )[:DRAWN_FEATURES]
    served = task.monitored_prediction(
        drift.outputs_of(windows[0], list(reference.outputs)), reference.classes
    )
    panels = [("prediction", drift.reference_prediction(reference), served,
               task.CATEGORICAL_PREDICTION)]  # fmt: skip
    panels += [(name, reference.train[name], windows[0][name], False) for name in closest]
    plots.draw_distributions(panels, drawn[1], ("reference", "newest window"))
    return drawn


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def window_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    return [
        [str(w["index"]), w.get("oldest", ""), w.get("newest", ""), str(w["rows"]),
         "yes" if w["drifted"] else "no", ", ".join(w["drifted_columns"]) or "-"]
        for w in summary["windows"]
    ]  # fmt: skip


WINDOW_HEADER = ["window", "oldest", "newest", "rows", "drift", "drifting columns"]
COLUMN_HEADER = ["column", "test", "statistic", "p-value", "missing", "out of range"]


def column_rows(window: Mapping[str, Any]) -> list[list[str]]:
    prediction = window["prediction"]
    rows = [[drift.PREDICTION, prediction["test"], fmt(prediction["statistic"]),
             fmt(prediction["p_value"]), "-", "-"]]  # fmt: skip
    for name, result in window["features"].items():
        rows.append([name, result["test"], fmt(result["statistic"]), fmt(result["p_value"]),
                     fmt(result["missing_share"]), fmt(result["out_of_range_share"])])  # fmt: skip
    return rows


def live_rows(live: Mapping[str, Any] | None) -> list[list[str]]:
    if not live or not live.get("scores"):
        return []
    return [
        [name, fmt(value), fmt(live["test_scores"].get(name))]
        for name, value in sorted(live["scores"].items())
    ]


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render_markdown(summary: Mapping[str, Any]) -> str:
    rows = summary["rows"]
    model = summary.get("model", {})
    text = [
        f"## Monitoring: {headline(summary)}\n",
        f"Model {model.get('model_name', '?')} version {model.get('model_version', '?')} "
        f"(model file md5 `{summary['model_md5']}`); logs `{summary.get('logs', '')}`, last "
        f"{summary['params']['days']} days: {rows.get('logged', 0)} rows, "
        f"{rows.get('reference_model', 0)} of this model. The prediction drifts at p < "
        f"{summary['prediction_threshold']:.3g}, a feature at p < {summary['threshold']:.3g} "
        f"(alpha {summary['params']['alpha']}: half for the prediction, half shared by "
        f"{len(summary['features'])} features).\n\n",
    ]
    if rows.get("by_model_version"):
        versions = [[name, str(count)] for name, count in rows["by_model_version"].items()]
        text.append(markdown_table(["model version", "rows"], versions))
    if summary["windows"]:
        text.append("\n### Windows (newest first)\n\n")
        text.append(markdown_table(WINDOW_HEADER, window_rows(summary)))
        newest = column_rows(summary["windows"][0])
        ranked = [
            newest[0],
            *sorted(newest[1:], key=lambda row: float(row[3]) if row[3] != "-" else 2),
        ]
        text.append("\n### Newest window, most different columns first\n\n")
        text.append(markdown_table(COLUMN_HEADER, ranked[:11]))
    live = summary.get("live")
    if live:
        text.append(f"\n### Live scores ({live['rows']} labelled rows)\n\n")
        if live_rows(live):
            text.append(markdown_table(["score", "live", "test set"], live_rows(live)))
        if live.get("note"):
            text.append(f"\n{live['note']}\n")
    return "".join(text)


def html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def inlined(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
    "img{max-width:100%}.drift{color:#b00}.no_drift{color:#070}.not_enough_data{color:#850}"
)


def render_html(summary: Mapping[str, Any], pictures: Sequence[Path]) -> str:
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>Monitoring report</title>"
        f"<style>{STYLE}</style></head><body>",
        f"<h1 class='{summary['verdict']}'>{html.escape(headline(summary))}</h1>",
        f"<p>Generated {html.escape(summary.get('generated', ''))}. "
        f"Model file md5 {html.escape(summary['model_md5'])}.</p>",
    ]
    if summary["windows"]:
        parts.append("<h2>Windows (newest first)</h2>")
        parts.append(html_table(WINDOW_HEADER, window_rows(summary)))
    parts += [inlined(path) for path in pictures]
    for window in summary["windows"]:
        parts.append(f"<h2>Window {window['index']}</h2>")
        parts.append(html_table(COLUMN_HEADER, column_rows(window)))
    if live_rows(summary.get("live")):
        parts.append("<h2>Live scores</h2>")
        parts.append(html_table(["score", "live", "test set"], live_rows(summary.get("live"))))
    rows = summary["rows"]
    parts.append("<h2>Rows</h2>")
    parts.append(html_table(["count", "rows"], [[k, str(v)] for k, v in rows.items()
                                                if not isinstance(v, dict)]))  # fmt: skip
    parts.append("</body></html>\n")
    return "".join(parts)


def write(summary: Mapping[str, Any], reference: Reference, windows: Sequence[pd.DataFrame],
          out: Path, *, images: bool = True) -> list[Path]:  # fmt: skip
    """Write every output into `out` (old images removed first); return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    pictures = draw(summary, reference, windows, out) if images else []
    write_json(summary, out / SUMMARY_JSON)
    (out / SUMMARY_MD).write_text(render_markdown(summary), encoding="utf-8")
    (out / REPORT_HTML).write_text(render_html(summary, pictures), encoding="utf-8")
    return [out / SUMMARY_JSON, out / SUMMARY_MD, out / REPORT_HTML, *pictures]


def run_tags(summary: Mapping[str, Any]) -> dict[str, str]:
    """What the monitoring run in MLflow is tagged with (the served model it checked)."""
    model = summary.get("model", {})
    return {
        "verdict": str(summary["verdict"]),
        "sustained": str(summary["sustained"]).lower(),
        "model_name": str(model.get("model_name", "")),
        "model_version": str(model.get("model_version", "")),
    }


def run_metrics(summary: Mapping[str, Any]) -> dict[str, float]:
    """The monitoring run's metrics: row counts, drifting windows, the newest window's p-values
    and the live scores."""
    rows = summary["rows"]
    metrics = {
        "rows_logged": float(rows.get("logged", 0)),
        "rows_reference_model": float(rows.get("reference_model", 0)),
        "windows": float(len(summary["windows"])),
        "windows_drifted": float(summary["windows_drifted"]),
        "drift": float(summary["verdict"] == drift.DRIFT),
        "sustained": float(bool(summary["sustained"])),
    }
    if summary["windows"]:
        newest = p_values(summary["windows"][0])
        metrics.update({f"p_value.{name.strip('()')}": value for name, value in newest.items()})
    live = summary.get("live") or {}
    metrics.update({f"live.{name}": value for name, value in (live.get("scores") or {}).items()})
    if live:
        metrics["live.rows"] = float(live["rows"])
    return metrics
