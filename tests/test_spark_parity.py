"""check_dataframe gives the records `notecheck scan` gives for the same Parquet export, errors included."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'notecheck[spark]')")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java: no java on PATH and no JAVA_HOME", allow_module_level=True)

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from spark_helpers import local_spark  # noqa: E402

from notecheck.check import Checker  # noqa: E402
from notecheck.errors import InputError  # noqa: E402
from notecheck.models import to_record  # noqa: E402
from notecheck.readers import read_notes  # noqa: E402
from notecheck.spark import check_dataframe, record_of, result_schema  # noqa: E402

COMPLETE = """INDICATION: Hip adductor spasticity after stroke limiting hygiene.
CONSENT: Risks and benefits were discussed and written informed consent was obtained.
PROCEDURE: Under ultrasound guidance the left obturator nerve was identified. Motor stimulation at 0.5 mA
produced adductor contraction. 5 mL of 6% phenol was injected after negative aspiration.
The patient tolerated the procedure well. Follow up in 4 weeks."""
NO_CONSENT = """Reason for procedure: knee pain after arthroplasty. The right genicular nerves were treated
with thermal radiofrequency, 3 lesions of 90 seconds at 80 degrees, under fluoroscopic guidance."""
MAX_BYTES = 2_000

# (id, text, codes, date): one row each; the expected status comes from the library, not from here
ROWS = [
    (1, COMPLETE, ["64640-LT"], dt.date(2024, 1, 2)),
    (2, None, None, None),  # null text: empty
    (None, "   ", ["64640"], None),  # blank text, no id: the id is the source
    (4, COMPLETE * 20, ["64640-LT"], None),  # over MAX_BYTES: too_large
    (5, NO_CONSENT, ["64640-RT", "64624"], None),  # a list of codes, joined
    (6, NO_CONSENT, None, None),  # no code: no_code or inferred
    (7, COMPLETE, ["64640-ZZZZ x"], None),  # bad claim syntax: bad_code
    (8, COMPLETE + "\nCPT: 64640-LT", None, dt.date(2019, 5, 1)),  # code in the text
    (9, "", None, None),  # empty string
    (None, NO_CONSENT, ["64640-RT"], None),
    (11, COMPLETE, ["64640-LT"], None),
]


@pytest.fixture(scope="module")
def spark():
    # several partitions from one small file
    conf = {"spark.sql.shuffle.partitions": "2", "spark.sql.files.maxPartitionBytes": "4096",
            "spark.sql.files.openCostInBytes": "0"}
    with local_spark(**conf) as spark:
        yield spark


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    path = tmp_path_factory.mktemp("spark") / "notes.parquet"
    ids, texts, codes, dates = zip(*ROWS)
    table = pa.table({"NoteID": list(ids), "note_text": list(texts), "cpt": list(codes), "service_date": list(dates)})
    pq.write_table(table, path, row_group_size=2)
    return path


def library(path, **options) -> list[dict]:
    return [to_record(r) for r in Checker().check_many(read_notes([path], **options))]


def test_spark_records_equal_scan_errors_included(spark, export):
    df = spark.read.parquet(str(export))
    assert df.rdd.getNumPartitions() > 1  # rows are numbered across partitions
    got = [record_of(row) for row in check_dataframe(df, label=str(export), max_note_bytes=MAX_BYTES).collect()]
    expected = library(export, max_note_bytes=MAX_BYTES)
    assert got == expected
    kinds = {r["error"]["kind"] for r in got if r["error"]}
    assert kinds == {"empty", "too_large", "bad_code"}
    assert {r["status"] for r in got} >= {"complete", "incomplete", "error"}


@pytest.mark.parametrize("include_text", [True, False])
def test_spark_evidence_text_follows_include_text(spark, export, include_text):
    df = spark.read.parquet(str(export))
    [row] = check_dataframe(df.limit(1), include_text=include_text).collect()
    evidence = [ev for f in record_of(row)["elements"].values() for ev in f["evidence"]]
    assert evidence and all(("text" in ev) == include_text for ev in evidence)


def test_spark_row_col_and_label_col_name_the_source(spark, export):
    from pyspark.sql import functions as F

    df = spark.read.parquet(str(export)).withColumn("n", F.col("_metadata.row_index") + 100).withColumn("f", F.lit("batch7"))
    got = check_dataframe(df, label_col="f", row_col="n", max_note_bytes=MAX_BYTES).collect()
    assert [r.source for r in got] == [f"batch7:{i + 100}" for i in range(len(ROWS))]
    assert got[1].error.message == "batch7 row 101: column 'note_text' is empty"


def test_spark_schema_is_explicit(spark, export):
    out = check_dataframe(spark.read.parquet(str(export)))
    assert out.schema == result_schema()
    assert out.select("codes.missing", "elements").schema.fields[1].dataType.valueType["evidence"]


@pytest.mark.parametrize("options, message", [
    ({"text_col": "body"}, "no column 'body'"),
    ({"id_col": "nope"}, "no column 'nope'"),
])
def test_spark_missing_column_raises(spark, export, options, message):
    with pytest.raises(InputError, match=message):
        check_dataframe(spark.read.parquet(str(export)), **options)


def test_spark_detects_no_text_column(spark):
    df = spark.createDataFrame([("a", 1)], "doc string, n int")
    with pytest.raises(InputError, match="no note text column"):
        check_dataframe(df)


def test_spark_binary_text_column_as_scan(spark, tmp_path):
    path = tmp_path / "binary.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": [COMPLETE.encode(), b"Left obturator \xff\xfe phenol", None]}), path)
    got = [record_of(r) for r in check_dataframe(spark.read.parquet(str(path)), label=str(path)).collect()]
    assert got == library(path)
    assert [r["error"]["kind"] if r["error"] else None for r in got] == [None, "encoding", "empty"]


def test_spark_dates_of_service_as_scan(spark, tmp_path):
    path = tmp_path / "dates.parquet"
    dates = ["06/01/2025", "13/01/2026", "2026-01-05T08:00:00Z", "junk"]
    pq.write_table(pa.table({"note_text": [COMPLETE] * 4, "cpt": [["64640-LT"]] * 4, "dos": dates}), path)
    df = spark.read.parquet(str(path))
    got = [record_of(row) for row in check_dataframe(df, label=str(path), date_format="%d/%m/%Y").collect()]
    expected = [to_record(r) for r in Checker(date_format="%d/%m/%Y").check_many(read_notes([path]))]
    assert got == expected
    assert [r["service_date"] for r in got] == ["2025-01-06", "2026-01-13", "2026-01-05", None]
    assert [w["kind"] for w in got[3]["warnings"]] == ["bad_service_date"]
