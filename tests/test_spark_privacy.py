"""Spark never quotes a note: a string cell that is not UTF-8 becomes that row's error record (not a
failed job whose error quotes the cell), and `spark-scan -vv` does not print py4j's traffic, which
holds the gateway's secret."""

from __future__ import annotations

import logging
import os
import shutil

import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'notecheck[spark]')")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java: no java on PATH and no JAVA_HOME", allow_module_level=True)

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from spark_helpers import local_spark  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from notecheck.cli import app  # noqa: E402
from notecheck.spark import check_dataframe, record_of  # noqa: E402

GOOD = "The left obturator nerve was injected with 5 mL of 6% phenol under ultrasound guidance."
CANARY = b"Zebrafinch Quillwort canary"  # followed by bytes that are not UTF-8


@pytest.fixture(scope="module")
def spark():
    with local_spark() as spark:
        yield spark


def not_utf8(path):
    """Three rows; row 2's text, row 3's id are not UTF-8 (a string column holding raw bytes)."""
    def strings(values):
        return pa.array(values, pa.binary()).view(pa.string())
    table = pa.table({
        "note_id": strings([b"a", b"b", CANARY + b"\xff"]),
        "text": strings([GOOD.encode(), CANARY + b" \xff\xfe tail", GOOD.encode()]),
        "cpt": ["64640-LT", "64640-LT", "64640-LT"],
    })
    pq.write_table(table, path)
    return str(path)


def test_spark_not_utf8_cell_is_an_error_record(spark, tmp_path, capfd):
    path = not_utf8(tmp_path / "notes.parquet")
    rows = check_dataframe(spark.read.parquet(path), text_col="text", id_col="note_id", code_col="cpt").collect()
    records = sorted((record_of(r) for r in rows), key=lambda r: r["source"])
    assert records[0]["status"] != "error"
    assert records[1]["id"] == "b" and records[1]["error"]["kind"] == "encoding"
    assert "column 'text'" in records[1]["error"]["message"]
    assert records[2]["id"] == "dataframe:3"  # an id that is not text is replaced by the source
    assert records[2]["error"]["kind"] == "encoding" and "column 'note_id'" in records[2]["error"]["message"]
    assert "Zebrafinch" not in str(records) + "".join(capfd.readouterr())


def test_spark_scan_not_utf8_cell_exits_1_quietly(spark, tmp_path, capfd):
    path = not_utf8(tmp_path / "notes.parquet")
    result = CliRunner().invoke(app, ["spark-scan", path, "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 1
    records = [record_of(r) for r in pq.read_table(str(tmp_path / "out")).to_pylist()]
    assert sorted(r["status"] == "error" for r in records) == [False, True, True]
    assert "Zebrafinch" not in result.output + "".join(capfd.readouterr())


def test_spark_scan_vv_prints_no_py4j_traffic(spark, tmp_path, caplog):
    path = str(tmp_path / "notes.parquet")
    pq.write_table(pa.table({"text": [GOOD], "cpt": ["64640-LT"]}), path)
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(app, ["spark-scan", path, "-o", str(tmp_path / "out"), "-vv"])
    assert result.exit_code == 1 and "1 note read" in result.output  # the note lacks consent: incomplete
    secret = spark.sparkContext._gateway.gateway_parameters.auth_token
    assert [r for r in caplog.records if r.name.startswith("py4j")] == []
    assert secret not in caplog.text + result.output
