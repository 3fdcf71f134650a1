"""`notecheck eval`: the gold corpus meets the accuracy targets, and misses are reported."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from notecheck.cli import app
from notecheck.evaluate import TARGETS, as_dict, evaluate

GOLD = Path(__file__).resolve().parents[1] / "corpora" / "gold"
runner = CliRunner()


def test_evaluate_gold_meets_targets():
    report = evaluate(GOLD)
    d = as_dict(report)
    assert d["notes"] >= 110  # the synthetic notes at least; the real ones when ../shared is there
    below = {e: d["presence"][e]["f1"] for e, t in TARGETS.items() if d["presence"][e]["f1"] < t}
    assert not below, below
    assert d["status_accuracy"] is not None and d["status_accuracy"] >= 0.8


def test_evaluate_gold_lists_a_miss_with_its_evidence(tmp_path):
    elements = {e: {"present": False, "values": []} for e in TARGETS}
    line = {"id": "wrong_1", "text": "Informed consent was obtained. 5 mL of 6% phenol at the left obturator nerve.",
            "codes": None, "elements": elements}  # deliberately says consent is absent
    (tmp_path / "g.jsonl").write_text(json.dumps(line) + "\n")
    result = runner.invoke(app, ["eval", str(tmp_path), "--format", "json"])
    out = json.loads(result.output)
    consent = [m for m in out["misses"] if m["element"] == "consent"]
    assert consent and consent[0]["expected"]["present"] is False and consent[0]["got"]["present"] is True
    assert "consent" in consent[0]["evidence"][0].lower()
    assert out["presence"]["consent"]["fp"] == 1


def test_evaluate_gold_text_report_names_targets():
    result = runner.invoke(app, ["eval", str(GOLD)])
    assert "nerve_target" in result.output and "targets met" in result.output
