"""`notecheck spark-scan` writes the records `notecheck scan` prints, and picks the same exit code."""

from __future__ import annotations

import json
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
from notecheck.spark import record_of  # noqa: E402

COMPLETE = """INDICATION: Hip adductor spasticity after stroke limiting hygiene.
CONSENT: Risks and benefits were discussed and written informed consent was obtained.
PROCEDURE: Under ultrasound guidance the left obturator nerve was identified. Motor stimulation at 0.5 mA
produced adductor contraction. 5 mL of 6% phenol was injected after negative aspiration.
The patient tolerated the procedure well. Follow up in 4 weeks."""
INCOMPLETE = "The right genicular nerves were treated with thermal radiofrequency under fluoroscopy."

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def spark():
    """One session for the module: spark-scan joins it and leaves it running."""
    with local_spark(**{"spark.sql.shuffle.partitions": "2"}) as spark:
        yield spark


def write(path, texts, codes):
    pq.write_table(pa.table({"note_id": [f"n{i}" for i in range(len(texts))], "text": texts, "cpt": codes}), path)
    return path


def scan_records(*args) -> tuple[int, list[dict]]:
    result = runner.invoke(app, ["scan", *args, "--format", "jsonl", "--quiet"])
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def spark_records(*args) -> tuple[int, list[dict], str]:
    result = runner.invoke(app, ["spark-scan", *args])
    output = args[args.index("-o") + 1]
    records = [record_of(r) for r in pq.read_table(output).to_pylist()] if os.path.isdir(output) else []
    return result.exit_code, records, result.output


def by_source(records):
    return sorted(records, key=lambda r: r["source"])


@pytest.mark.parametrize("texts, codes, exit_code", [
    ([COMPLETE, COMPLETE], ["64640-LT", "64640-LT"], 0),
    ([COMPLETE, INCOMPLETE, "", None, COMPLETE], ["64640-LT", "64640-RT", "64640", None, "64640-LT x"], 1),
])
def test_spark_scan_equals_scan(tmp_path, texts, codes, exit_code):
    path = str(write(tmp_path / "notes.parquet", texts, codes))
    out = str(tmp_path / "results.parquet")
    code, records, output = spark_records(path, "-o", out, "--master", "local[2]")
    scan_code, expected = scan_records(path)
    assert (code, scan_code) == (exit_code, exit_code)
    assert records == expected  # a small file is one partition: same order too
    assert f"{len(texts)} notes read" in output


def test_spark_scan_partitions_keep_input_order(tmp_path):
    texts = [COMPLETE, INCOMPLETE, "", COMPLETE, INCOMPLETE, None, COMPLETE]
    path = str(write(tmp_path / "notes.parquet", texts, ["64640-LT", None, None, "64640-LT", "64640", None, "64640-LT"]))
    code, records, _ = spark_records(path, "-o", str(tmp_path / "out"), "--partitions", "3")
    assert len(pq.ParquetDataset(str(tmp_path / "out")).fragments) == 3
    assert (code, records) == scan_records(path)


def test_spark_scan_folder_labels_files_as_scan(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    write(folder / "a.parquet", [COMPLETE, INCOMPLETE], ["64640-LT", None])
    write(folder / "b.parquet", ["", COMPLETE], [None, "64640-LT"])
    out = str(tmp_path / "results")
    code, records, _ = spark_records(str(folder), "-o", out, "--no-text")
    scan_code, expected = scan_records(str(folder), "--no-text")
    assert code == scan_code == 1
    assert by_source(records) == by_source(expected)
    assert {r["source"] for r in records} == {f"{folder}/a.parquet:1", f"{folder}/a.parquet:2",
                                              f"{folder}/b.parquet:1", f"{folder}/b.parquet:2"}


@pytest.mark.parametrize("args, message", [
    (["--code", "64640-??"], "E002"),
    (["--text-col", "nope"], "no column 'nope'"),
])
def test_spark_scan_usage_errors_exit_2(tmp_path, args, message):
    path = str(write(tmp_path / "notes.parquet", [COMPLETE], ["64640-LT"]))
    result = runner.invoke(app, ["spark-scan", path, "-o", str(tmp_path / "out"), *args])
    assert result.exit_code == 2 and message in result.output


def test_spark_scan_keeps_existing_output_unless_overwrite(tmp_path):
    path = str(write(tmp_path / "notes.parquet", [COMPLETE], ["64640-LT"]))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["spark-scan", path, "-o", str(out)])
    assert result.exit_code == 2 and "--overwrite" in result.output
    assert (out / "keep.txt").read_text() == "mine"
    result = runner.invoke(app, ["spark-scan", path, "-o", str(out), "--overwrite"])
    assert result.exit_code == 0 and not (out / "keep.txt").exists()


def test_spark_scan_missing_input_exit_2(tmp_path):
    result = runner.invoke(app, ["spark-scan", str(tmp_path / "none.parquet"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "cannot be read as Parquet" in result.output


def test_spark_scan_help():
    result = runner.invoke(app, ["spark-scan", "--help"])
    assert result.exit_code == 0 and "--master" in result.output and "--overwrite" in result.output
