"""bench/results.py: each benchmark script replaces its own section of RESULTS.md and keeps the others."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("bench_results", Path(__file__).resolve().parents[1] / "bench" / "results.py")
results = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results)


def test_bench_results_a_section_is_replaced_and_the_others_kept(tmp_path):
    path = tmp_path / "RESULTS.md"
    results.write_section("memory", "## Memory\n\nold memory figures", path)
    results.write_section("serve", "## Service\n\n137 requests/s", path)
    results.write_section("throughput", "## Throughput\n\n300 notes/s", path)
    results.write_section("memory", "## Memory\n\nnew memory figures", path)
    text = path.read_text(encoding="utf-8")
    assert "old memory figures" not in text
    assert text.count("new memory figures") == text.count("137 requests/s") == text.count("300 notes/s") == 1
    assert text.index("## Throughput") < text.index("## Memory") < text.index("## Service")
    assert text.startswith("# notecheck benchmark results\n")
