"""Parquet exports, read one record batch at a time with pyarrow (only the needed columns).

Row groups are read one by one: a group that cannot be read makes each of its rows an ``unreadable``
error, and the groups before and after it are read as usual. A file with no rows is one ``empty`` error.
"""

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
    for group in range(parquet.metadata.num_row_groups):
        rows_in_group = parquet.metadata.row_group(group).num_rows
        first = row
        try:
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=[group], columns=wanted):
                values = {name: batch.column(name).to_pylist() for name in wanted}
                for i in range(batch.num_rows):
                    row += 1
                    fields = {role: values[name][i] for role, name in roles.items()}
                    yield build_note(label, row, fields, columns, options)
        except (pa.ArrowException, OSError, ValueError):
            # this row group cannot be read: each of its rows not yet given becomes an error, then the next group
            for missing in range(row + 1, first + rows_in_group + 1):
                where = f"{label}:{missing}"
                yield ReadError(id=where, source=where, kind="unreadable",
                                message=f"{label} row {missing}: Parquet row group {group + 1} cannot be read")
            row = first + rows_in_group
    if row == 0:
        raise ReadProblem("empty", f"{label}: no rows")
