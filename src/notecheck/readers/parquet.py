"""Parquet exports, read one record batch at a time with pyarrow (only the needed columns)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from notecheck.models import NoteInput, ReadError
from notecheck.readers.columns import resolve
from notecheck.readers.records import ReadOptions, build_note
from notecheck.readers.source import STREAM_ERRORS, ReadProblem, problem_from

BATCH_ROWS = 1024


def read_parquet(path: Path, label: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    """Yield one item per row of a Parquet file."""
    import pyarrow as pa  # imported here: it is slow to import and only Parquet needs it
    import pyarrow.parquet as pq

    try:
        if path.stat().st_size == 0:
            raise ReadProblem("empty", f"{label}: file is empty")
        parquet = pq.ParquetFile(path)
    except pa.ArrowException:
        raise ReadProblem("unreadable", f"{label}: not a readable Parquet file") from None
    except STREAM_ERRORS as exc:
        raise problem_from(exc, label) from None
    columns = resolve(parquet.schema_arrow.names, label, options.explicit_columns())
    roles = columns.roles()
    wanted = sorted(set(roles.values()))
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
            values = {name: batch.column(name).to_pylist() for name in wanted}
            for i in range(batch.num_rows):
                row += 1
                fields = {role: values[name][i] for role, name in roles.items()}
                yield build_note(label, row, fields, columns, options)
    except pa.ArrowException:
        raise ReadProblem(
            "unreadable", f"{label} row {row + 1}: Parquet data cannot be read; the rest of the file was not read", row + 1
        ) from None
    except STREAM_ERRORS as exc:
        raise problem_from(exc, label, row + 1) from None
