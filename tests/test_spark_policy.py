"""`notecheck spark-scan --profile medicare` groups rows by patient and gives the records `notecheck scan` gives,
the checks across a patient's notes included."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

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

GOLD = Path(__file__).resolve().parents[1] / "corpora" / "gold" / "policy.jsonl"
ITEMS = [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()]
runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def spark():
    with local_spark(**{"spark.sql.shuffle.partitions": "2"}) as spark:
        yield spark


def test_spark_policy_same_records_as_scan(tmp_path):
    items = list(ITEMS)
    random.Random(7).shuffle(items)  # patients interleaved; each patient's notes stay in file order below
    items.sort(key=lambda it: it["service_date"])
    path = tmp_path / "notes.parquet"
    pq.write_table(pa.table({k: [it[k] for it in items] for k in ("id", "text", "codes", "service_date", "patient")}),
                   path, row_group_size=4)
    scanned = runner.invoke(app, ["scan", str(path), "--profile", "medicare", "-f", "jsonl", "-q"])
    expected = sorted((json.loads(line) for line in scanned.stdout.splitlines() if line.strip()), key=lambda r: r["source"])
    out = tmp_path / "out"
    result = runner.invoke(app, ["spark-scan", str(path), "-o", str(out), "--profile", "medicare", "--partitions", "3", "-q"])
    assert result.exit_code == scanned.exit_code, result.output
    got = sorted((record_of(r) for r in pq.read_table(out).to_pylist()), key=lambda r: r["source"])
    assert got == expected
    flags = {r["id"]: sorted(f["kind"] + ":" + f["message"].split(":")[0] for c in r["codes"] for f in c["flags"]
                             if f["kind"] == "policy") for r in got}
    assert flags["pol_p400_2"] == ["policy:LCD L35170 (Botulinum Toxin Types A and B)"]  # read the earlier session
