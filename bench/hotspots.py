"""Where the notecheck path spends its time: per-stage timings, then a cProfile of the scan.

    .venv/bin/python bench/hotspots.py --notes 2000 [--top 25] [--words 100]

Stages are timed by hand on the same notes (no profiler overhead): reading the files, the tokenizer,
each pipeline component, the extractor, claims + audit + result, and rendering a JSONL record.
Then `notecheck.scan` (jobs=1) over the same folder runs under cProfile; the top functions by own
time and by cumulative time are printed. ``--words N`` makes every generated note about N words
(default: 100-800, 450 on average). Prints to stdout only; nothing is written to RESULTS.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from loguru import logger

logger.remove()

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notes import generate, load_real_notes  # noqa: E402
from run import file_text  # noqa: E402


def stages(folder: Path) -> None:
    import orjson

    from notecheck import Checker, to_record
    from notecheck.readers import read_notes

    checker = Checker()
    nlp = checker.nlp
    spent: dict[str, float] = defaultdict(float)
    clock = time.perf_counter

    t = clock()
    notes = list(read_notes([folder]))
    spent["read files"] = clock() - t
    n = len(notes)
    for note in notes:
        t = clock()
        doc = nlp.make_doc(note.text)
        spent["tokenizer"] += clock() - t
        for name, proc in nlp.pipeline:
            t = clock()
            doc = proc(doc)
            spent[name] += clock() - t
        t = clock()
        checker.extractor(doc)
        spent["extractor"] += clock() - t
        t = clock()
        result = checker._result(note, doc)  # runs the extractor again, then claims, audit, NoteResult
        spent["extractor + claims + audit + result"] += clock() - t
        t = clock()
        orjson.dumps(to_record(result, True))
        spent["to_record + orjson"] += clock() - t
    spent["claims + audit + result"] = spent.pop("extractor + claims + audit + result") - spent["extractor"]
    total = sum(spent.values())
    print(f"\nPer-stage time over {n} notes (total {total:.1f} s, {1000 * total / n:.2f} ms/note):")
    for name, s in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<28} {s:7.2f} s  {100 * s / total:5.1f}%  {1000 * s / n:6.2f} ms/note")


def profile(folder: Path, top: int) -> None:
    from notecheck import Checker
    from notecheck.renderers.jsonl import JsonLinesRenderer
    from notecheck.scan import scan

    checker = Checker()
    prof = cProfile.Profile()
    with open(folder.parent / "out.jsonl", "w", encoding="utf-8") as stream:
        prof.enable()
        scan([folder], JsonLinesRenderer(stream), checker=checker, jobs=1)
        prof.disable()
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(top)
        body = buf.getvalue()
        print(f"\ncProfile of notecheck.scan, sorted by {key}:")
        print(body[body.index("   ncalls"):] if "   ncalls" in body else body)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--words", type=int, default=None, help="every generated note about this many words")
    args = ap.parse_args(argv)
    sizes = {} if args.words is None else {"min_words": args.words, "max_words": args.words}
    every = list(generate(args.notes, seed=args.seed, **sizes)) + ([] if args.words else load_real_notes())
    with tempfile.TemporaryDirectory(prefix="notecheck-prof-") as tmp:
        folder = Path(tmp) / "notes"
        folder.mkdir()
        for i, note in enumerate(every):
            (folder / f"{i:07d}_{note['id']}.txt").write_text(file_text(note), encoding="utf-8")
        stages(folder)
        profile(folder, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
