"""Schemathesis hooks for the fuzz run (`SCHEMATHESIS_HOOKS=tests.service.fuzz_hooks`).

Schemathesis cannot write Arrow streams, so this teaches it: streams of feature columns that
are right, or wrong in every way the endpoint must refuse (a value beyond the bound, NaN, a
missing, extra or duplicated column, text), and bytes that are not a stream at all. The
features and bounds come from the file `FUZZ_ROW_SCHEMA` names (the served `Row` schema).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import schemathesis
from hypothesis import strategies as st

from tests.helpers import arrow_stream

ARROW_STREAM = "application/vnd.apache.arrow.stream"
ROW = json.loads(Path(os.environ["FUZZ_ROW_SCHEMA"]).read_text(encoding="utf-8"))
BOUNDS = {name: spec["anyOf"][0]["maximum"] for name, spec in ROW["properties"].items()}


def stream(columns: list[tuple[str, pa.Array]]) -> bytes:
    names = [name for name, _ in columns]
    return arrow_stream(pa.Table.from_arrays([array for _, array in columns], names=names))


@st.composite
def arrow_batches(draw: st.DrawFn) -> bytes:
    rows = draw(st.integers(min_value=0, max_value=5))
    columns = []
    for name, bound in BOUNDS.items():
        if draw(st.integers(0, 20)) == 0:
            continue  # a missing column
        finite = st.floats(min_value=-bound, max_value=bound, allow_nan=False)
        wild = st.one_of(finite, st.none(), st.floats(), st.just(1.7e308))
        values = draw(
            st.lists(wild if draw(st.booleans()) else finite, min_size=rows, max_size=rows)
        )
        columns.append((name, pa.array(values, type=pa.float64())))
    extra = draw(st.sampled_from(["none", "extra", "duplicate", "text"]))
    if extra == "extra":
        columns.append(("surprise", pa.array([1.0] * rows)))
    elif extra == "duplicate" and columns:
        columns.append(columns[0])
    elif extra == "text" and columns:
        columns[0] = (columns[0][0], pa.array(["x"] * rows))
    return stream(columns)


schemathesis.openapi.media_type(ARROW_STREAM, st.one_of(arrow_batches(), st.binary(max_size=512)))
