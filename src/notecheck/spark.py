"""Check notes held in a Spark DataFrame: one output-contract row per input row.

    from notecheck.spark import check_dataframe
    results = check_dataframe(spark.read.parquet("notes/"), text_col="note_text", id_col="note_id")
    results.write.parquet("results/")

Rows become notes exactly as ``notecheck scan`` reads an export row (``readers.records.build_note``):
a null, blank, oversized or undecodable text gives an error record with the same kind and message,
and every input row gives exactly one output row. Columns are detected as the readers detect them
unless named.

The checking runs in ``mapInPandas``: each Python worker builds one ``Checker`` the first time it
is needed and keeps it for every later batch and task (``_CHECKERS``; Spark reuses Python workers
by default, ``spark.python.worker.reuse``).

Output schema (``result_schema()``): the record of ``models.to_record`` as nested Spark types, not
JSON strings, so that results can be queried in SQL (``codes.missing``, ``elements['consent'].present``):

* ``elements`` is a map from element name to ``{present, values, evidence, excluded}``: a map and
  not a struct so that error records (no elements) and rule packs with other elements fit as they are;
* an evidence struct always has ``text`` and ``reason`` fields; null means the key is absent from
  the JSON record (``text`` with ``include_text=False``; ``reason`` on a mention that counts).
  ``record_of(row)`` turns an output row back into the JSON record.

pyspark is imported only inside functions, so that notecheck works without it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notecheck import quiet  # noqa: F401  (workers too: no library may log note text)
from notecheck.errors import InputError, SparkUnavailableError
from notecheck.models import to_record
from notecheck.readers.columns import ColumnMap, resolve
from notecheck.readers.records import ReadOptions, build_note
from notecheck.readers.source import ReadProblem

OUTPUT_SLICE = 256  # records per pandas frame handed back to Spark
ARROW_BATCH_ROWS = 256  # rows per Arrow batch for sessions this module starts (notes can be large)

_CHECKERS: dict = {}  # (rules dir (None: the default pack), date format) -> Checker, one per Python worker




# --------------------------------------------------------------------------- schema


def result_schema():
    """The Spark schema of ``check_dataframe``'s output (one row per note)."""
    from pyspark.sql import types as T

    def strings():
        return T.ArrayType(T.StringType())

    evidence = T.StructType([
        T.StructField("start", T.IntegerType()),
        T.StructField("end", T.IntegerType()),
        T.StructField("section", T.StringType()),
        T.StructField("value", T.StringType()),
        T.StructField("text", T.StringType()),
        T.StructField("reason", T.StringType()),
    ])
    finding = T.StructType([
        T.StructField("present", T.BooleanType()),
        T.StructField("values", strings()),
        T.StructField("evidence", T.ArrayType(evidence)),
        T.StructField("excluded", T.ArrayType(evidence)),
    ])
    flag = T.StructType([
        T.StructField("kind", T.StringType()),
        T.StructField("message", T.StringType()),
        T.StructField("suggested_codes", strings()),
        T.StructField("check", T.StringType()),  # policy flags only (absent from a scan record otherwise)
    ])
    code = T.StructType([
        T.StructField("code", T.StringType()),
        T.StructField("title", T.StringType()),
        T.StructField("modifiers", strings()),
        T.StructField("units", T.IntegerType()),
        T.StructField("source", T.StringType()),
        T.StructField("status", T.StringType()),
        T.StructField("score", T.IntegerType()),
        T.StructField("missing", strings()),
        T.StructField("flags", T.ArrayType(flag)),
        T.StructField("reason", T.StringType()),
        T.StructField("rule_version", T.StringType()),
    ])
    error = T.StructType([T.StructField("kind", T.StringType()), T.StructField("message", T.StringType())])
    return T.StructType([
        T.StructField("id", T.StringType()),
        T.StructField("source", T.StringType()),
        T.StructField("status", T.StringType()),
        T.StructField("score", T.IntegerType()),
        T.StructField("elements", T.MapType(T.StringType(), finding)),
        T.StructField("codes", T.ArrayType(code)),
        T.StructField("procedure_documented", T.BooleanType()),
        T.StructField("unsupported_codes", strings()),
        T.StructField("rules_version", T.StringType()),
        T.StructField("error", error),
        T.StructField("service_date", T.StringType()),
        T.StructField("service_date_source", T.StringType()),
        T.StructField("warnings", T.ArrayType(
            T.StructType([T.StructField("kind", T.StringType()), T.StructField("message", T.StringType())]))),
        T.StructField("columns", T.MapType(T.StringType(), T.StringType())),
        T.StructField("profile", T.StringType()),
        T.StructField("patient", T.StringType()),
    ])


RESULT_COLUMNS = ("id", "source", "status", "score", "elements", "codes", "procedure_documented", "unsupported_codes",
                  "rules_version", "error", "service_date", "service_date_source", "warnings", "columns",
                  "profile", "patient")


def record_of(row: Any) -> dict:
    """An output row (a Spark ``Row``, or a dict as pyarrow reads it) as the JSON record ``to_record`` gives."""
    rec = row.asDict(recursive=True) if hasattr(row, "asDict") else dict(row)
    for key in ("elements", "columns"):
        if isinstance(rec.get(key), list):  # pyarrow reads a map as (key, value) pairs
            rec[key] = dict(rec[key])
    if "columns" in rec and rec["columns"] is None:
        rec["columns"] = {}
    for code in rec.get("codes") or ():
        code["flags"] = [{k: v for k, v in f.items() if not (k == "check" and v is None)} for f in code["flags"]]
    for finding in (rec.get("elements") or {}).values():
        for key in ("evidence", "excluded"):
            finding[key] = [{k: v for k, v in ev.items() if not (k in ("text", "reason") and v is None)}
                            for ev in finding[key]]
    return rec


# --------------------------------------------------------------------------- the DataFrame API


def check_dataframe(
    df,
    text_col: str | None = None,
    id_col: str | None = None,
    code_col: str | None = None,
    date_col: str | None = None,
    *,
    default_code: str | None = None,
    max_note_bytes: int = 1_000_000,
    rules_dir: str | Path | None = None,
    include_text: bool = True,
    label: str = "dataframe",
    label_col: str | None = None,
    row_col: str | None = None,
    date_format: str | None = None,
    profile: str | None = None,
):
    """Check every row of ``df``; return a DataFrame of ``result_schema()``, one row per input row.

    ``*_col`` name the columns as ``notecheck scan`` options do (detected when left out).
    A record's source is ``{label}:{row}``, and error messages say ``{label} row {row}``, where
    ``label`` is ``label`` or the value of ``label_col``, and ``row`` is the value of ``row_col``
    (1-based) or else the row's position in ``df``. Numbering by position runs one extra job that
    counts the rows of each partition; ``df`` must give the same partitions when computed twice
    (file and table reads do; cache it otherwise), and a task whose partition changed fails rather
    than number rows twice.

    ``date_format`` (a strptime format) is tried first on dates of service, as ``scan --date-format``.
    ``rules_dir`` must be readable on every executor (or set ``NOTECHECK_RULES`` there); the
    driver loads it first so that a broken rule file fails before any task starts.
    Raises InputError when no text column can be found or a named column is missing.
    """
    return _check(df, text_col, id_col, code_col, date_col, default_code=default_code, max_note_bytes=max_note_bytes,
                  rules_dir=rules_dir, include_text=include_text, label=label, label_col=label_col, row_col=row_col,
                  date_format=date_format, profile=profile)


def _check(df, text_col, id_col, code_col, date_col, *, default_code, max_note_bytes, rules_dir, include_text,
           label, label_col, row_col, label_of=None, date_format=None, profile=None):
    """``check_dataframe``; ``label_of`` (picklable) turns a ``label_col`` value into the label."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from notecheck.profiles import load_profile
    from notecheck.rules import load_rules

    if max_note_bytes < 1:
        raise InputError(f"max_note_bytes must be at least 1, got {max_note_bytes}")
    rules = None if rules_dir is None else str(Path(rules_dir).resolve())
    across_notes = bool(load_profile(load_rules(rules), profile).file.rules)  # fail fast on the driver
    if date_format:
        from notecheck.dates import check_date_format

        check_date_format(date_format)
    options = ReadOptions(id_col, text_col, code_col, date_col, default_code, max_note_bytes)
    internal = {c for c in (label_col, row_col) if c is not None}
    try:
        columns = resolve([c for c in df.columns if c not in internal], label, options.explicit_columns())
    except ReadProblem as problem:
        raise InputError(problem.message) from None
    for name in internal:
        if name not in df.columns:
            raise InputError(f"{label}: no column '{name}'; columns: {', '.join(df.columns)}")

    types = {f.name: f.dataType for f in df.schema.fields}
    selected, aliases = [], {}
    for role, name in columns.roles().items():
        aliases[role] = f"_notecheck_{role}"
        column = F.col(_quoted(name))
        if isinstance(types.get(name), T.StringType):
            # as bytes: a string cell that is not UTF-8 fails Arrow's conversion, and with it the whole
            # job, quoting the cell; as bytes it reaches build_note, which makes it an error record
            column = column.cast("binary")
        selected.append(column.alias(aliases[role]))
    if label_col:
        selected.append(F.col(_quoted(label_col)).cast("string").alias("_notecheck_label"))
    if row_col:
        selected.append(F.col(_quoted(row_col)).cast("long").alias("_notecheck_row"))
    integral = frozenset(aliases[role] for role, name in columns.roles().items()
                         if isinstance(types.get(name), T.IntegralType))
    picked = df.select(*selected)
    if across_notes and columns.patient and row_col:
        # checks across a patient's notes: each patient's rows in one task, in input order (a ledger per task)
        order = ["_notecheck_label", "_notecheck_row"] if label_col else ["_notecheck_row"]
        picked = picked.repartition(max(1, df.rdd.getNumPartitions()), aliases["patient"]).sortWithinPartitions(*order)
    first_rows = None if row_col else _partition_first_rows(df)
    job = _Job(columns, aliases, options, rules, include_text, label, bool(label_col), label_of, integral, first_rows,
               date_format, profile)
    return picked.mapInPandas(job, result_schema())


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _partition_first_rows(df) -> dict[int, tuple[int, int]]:
    """Partition id -> (rows before it, rows in it), from one counting job."""
    from pyspark.sql import functions as F

    counts = dict(df.groupBy(F.spark_partition_id().alias("p")).count().collect())
    out, before = {}, 0
    for pid in sorted(counts):
        out[pid] = (before, counts[pid])
        before += counts[pid]
    return out


@dataclass(frozen=True)
class _Job:
    """What a Python worker needs to check its batches; pickled once per task."""

    columns: ColumnMap
    aliases: dict  # role -> input column of the selected frame
    options: ReadOptions
    rules_dir: str | None
    include_text: bool
    label: str
    has_label_col: bool
    label_of: Any  # None, or a callable: label_col value -> label
    integral: frozenset  # columns Spark holds as integers (pandas may hand them over as floats)
    first_rows: dict | None  # numbering by position: partition id -> (rows before, rows in it)
    date_format: str | None = None
    profile: str | None = None

    def __call__(self, batches: Iterator) -> Iterator:
        from pyspark import TaskContext

        from notecheck.patients import Ledger

        checker = _checker(self.rules_dir, self.date_format, self.profile)
        ledger = Ledger(checker.profile)  # one per task: a patient's notes are all in one task (see _check)
        before, expected = 0, None
        if self.first_rows is not None:
            pid = TaskContext.get().partitionId()
            before, expected = self.first_rows.get(pid, (0, 0))
        seen = 0
        for frame in batches:
            cols = {role: [_plain(v, alias in self.integral) for v in frame[alias]] for role, alias in self.aliases.items()}
            labels = None
            if self.has_label_col:
                labels = [self.label_of(v) if self.label_of else v for v in frame["_notecheck_label"]]
            rows = list(frame["_notecheck_row"]) if self.first_rows is None else None
            items = []
            for i in range(len(frame)):
                seen += 1
                row = int(rows[i]) if rows is not None else before + seen
                label = labels[i] if labels is not None and labels[i] is not None else self.label
                fields = {role: values[i] for role, values in cols.items()}
                items.append(build_note(label, row, fields, self.columns, self.options))
            for start in range(0, len(items), OUTPUT_SLICE):
                results = checker.check_many(items[start:start + OUTPUT_SLICE], ledger=ledger)
                yield _frame([to_record(r, self.include_text) for r in results])
        if expected is not None and seen != expected:
            raise RuntimeError(
                f"notecheck: partition {TaskContext.get().partitionId()} has {seen} rows, {expected} when counted; "
                "the DataFrame is not deterministic. Cache it, or pass row_col, and run again."
            )


def _checker(rules_dir: str | None, date_format: str | None = None, profile: str | None = None):
    checker = _CHECKERS.get((rules_dir, date_format, profile))
    if checker is None:
        from notecheck.check import Checker

        checker = _CHECKERS[(rules_dir, date_format, profile)] = Checker(rules_dir, date_format=date_format,
                                                                         profile=profile)
    return checker


def _plain(value: Any, integral: bool = False) -> Any:
    """A pandas cell as the plain Python value pyarrow's ``to_pylist`` gives the Parquet reader."""
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if integral and value.is_integer():
            return int(value)
    elif isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    elif isinstance(value, bytearray):
        return bytes(value)
    return value


def _frame(records: list[dict]):
    import pandas as pd

    return pd.DataFrame({name: pd.Series([r[name] for r in records], dtype=object) for name in RESULT_COLUMNS})


# --------------------------------------------------------------------------- Parquet in, Parquet out


def session(master: str | None = None):
    """The active SparkSession, or a new one; returns ``(spark, started_here)``.

    A session started here for a local master runs its Python workers on this interpreter,
    binds to loopback only and has no web UI.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailableError("pyspark is not installed. Install it with: pip install 'notecheck[spark]'") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    builder = SparkSession.builder.appName("notecheck")
    if master:
        builder = builder.master(master)
    if (master or "local").startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", _python())
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (builder.config("spark.ui.enabled", "false")
                   .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1"))
    builder = (builder.config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(ARROW_BATCH_ROWS)))
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - pyspark raises several types when Java cannot start
        raise SparkUnavailableError(
            f"Spark could not start ({type(exc).__name__}). Spark needs Java 17 or later: install a JRE "
            "(e.g. apt-get install default-jre-headless) or set JAVA_HOME."
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark, True


def _python() -> str:
    import sys

    return sys.executable


def spark_scan(path: str, output: str, *, master: str | None = None, overwrite: bool = False, partitions: int = 0,
               **options):
    """``notecheck spark-scan``: start (or join) a Spark session, run ``scan_parquet``, stop what was started."""
    _check_output(output, overwrite)
    spark, started = session(master)
    try:
        return scan_parquet(spark, path, output, overwrite=overwrite, partitions=partitions, **options)
    finally:
        if started:
            spark.stop()


def _check_output(output: str, overwrite: bool) -> None:
    if not overwrite and Path(output).exists():
        raise InputError(f"{output} exists. Pass --overwrite to replace it, or name another output.")


def scan_parquet(
    spark,
    path: str,
    output: str,
    *,
    overwrite: bool = False,
    partitions: int = 0,
    **options,
):
    """Check a Parquet file (or a folder of them) into a Parquet output folder; return a ``scan.Summary``.

    Records name rows as ``notecheck scan`` does (``FILE:ROW``, the row counted in the file), so the
    two give the same records. ``options`` are those of ``check_dataframe``.
    ``partitions``: spread the rows over this many tasks (a range repartition that keeps the file
    order); 0 does so only when Spark reads fewer partitions than it has cores (often: a Parquet
    file written as one row group is one partition). Output rows are in input order when the rows
    were spread, or the input is one file; else in the order Spark read the files.
    Raises InputError when the input cannot be read or the output exists (without ``overwrite``).
    """
    from pyspark.sql import functions as F

    from notecheck.scan import Summary

    _check_output(output, overwrite)
    try:
        df = spark.read.parquet(path)
        df = df.select("*", F.col("_metadata.file_path").alias("_notecheck_file"),
                       (F.col("_metadata.row_index") + 1).alias("_notecheck_rownum"))
    except Exception as exc:  # noqa: BLE001 - Spark's AnalysisException and friends
        raise InputError(f"{path}: cannot be read as Parquet ({_spark_reason(exc)}). Check the path.") from None
    wanted = partitions or spark.sparkContext.defaultParallelism
    if partitions or df.rdd.getNumPartitions() < wanted:
        # a single-row-group export reads as one partition: spread it over the cores, in file order
        order = ["_notecheck_file", "_notecheck_rownum"]
        df = df.repartitionByRange(wanted, *order).sortWithinPartitions(*order)
    options = {"text_col": None, "id_col": None, "code_col": None, "date_col": None, "default_code": None,
               "max_note_bytes": 1_000_000, "rules_dir": None, "include_text": True, "profile": None, **options}
    results = _check(df, **options, label=path, label_col="_notecheck_file", row_col="_notecheck_rownum",
                     label_of=_FileLabels(os.path.abspath(path), path))
    try:
        results.write.mode("overwrite" if overwrite else "errorifexists").parquet(output)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{path}: the Spark job failed ({_spark_reason(exc)}).") from None
    # a policy_note (a payer's coverage stance) is no failure, as in scan.Summary
    flagged = (F.exists("codes", lambda c: F.exists(c["flags"], lambda f: f["kind"] != "policy_note"))
               | (F.size("unsupported_codes") > 0) | (F.size("warnings") > 0)).cast("int")
    counts = {status: (n, f) for status, n, f in
              spark.read.parquet(output).groupBy("status").agg(F.count("*"), F.sum(flagged)).collect()}
    return Summary(
        read=sum(n for n, _ in counts.values()), complete=counts.get("complete", (0, 0))[0],
        incomplete=counts.get("incomplete", (0, 0))[0], no_code=counts.get("no_code", (0, 0))[0],
        errors=counts.get("error", (0, 0))[0], flagged=sum(f or 0 for _, f in counts.values()),
    )


def _spark_reason(exc: Exception) -> str:
    """A short reason from a Spark error: its error class, never the (data-quoting) message."""
    get = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
    reason = get() if get else None
    return reason or type(exc).__name__


@dataclass(frozen=True)
class _FileLabels:
    """A file URI from ``_metadata.file_path`` -> the label ``notecheck scan FOLDER`` gives that file."""

    root: str  # the file or folder, absolute
    given: str  # the file or folder as the user named it

    def __call__(self, uri: str | None) -> str | None:
        from urllib.parse import unquote, urlsplit

        if uri is None:
            return None
        parts = urlsplit(uri)
        if parts.scheme not in ("", "file"):
            return uri
        local = unquote(parts.path)
        relative = os.path.relpath(local, self.root)
        if relative == ".":
            return self.given
        return uri if relative.startswith("..") else str(Path(self.given) / relative)


if __name__ == "__main__":  # spark-submit .../notecheck/spark.py notes.parquet -o results.parquet
    import sys

    from notecheck.cli import app

    app(["spark-scan", *sys.argv[1:]])
