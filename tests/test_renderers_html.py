"""The HTML report without a browser: structure, highlighting, escaping, --no-text, self-containment."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from notecheck.cli import app
from notecheck.models import CodeResult, ElementFinding, Evidence, Flag, NoteError, NoteResult
from notecheck.renderers import RENDERERS
from notecheck.renderers.html import Hints, HtmlRenderer, highlight

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
CANARY = "QUOKKA-CANARY-5817"


class Page(HTMLParser):
    """The tags of a report: each start tag with its attributes, and the text inside every <mark>."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.marks: list[tuple[dict, str]] = []
        self._in_mark: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "mark":
            self._in_mark = dict(attrs)
            self.marks.append((self._in_mark, ""))

    def handle_endtag(self, tag):
        if tag == "mark":
            self._in_mark = None

    def handle_data(self, data):
        if self._in_mark is not None:
            attrs, text = self.marks[-1]
            self.marks[-1] = (attrs, text + data)

    def cards(self) -> list[dict]:
        return [a for t, a in self.tags if t == "article"]


def ev(start: int, end: int, text: str, value: str | None = None, reason: str | None = None) -> Evidence:
    return Evidence(start=start, end=end, text=text, section=None, value=value, reason=reason)


def finding(name: str, *spans: Evidence, values: tuple[str, ...] = ()) -> tuple[str, ElementFinding]:
    counted = tuple(s for s in spans if s.reason is None)
    excluded = tuple(s for s in spans if s.reason is not None)
    return name, ElementFinding(name, present=bool(counted), values=values, evidence=counted, excluded=excluded)


def result(note_id: str, status: str = "incomplete", score: int | None = 50, text: str | None = None,
           elements: dict | None = None, missing: tuple[str, ...] = (), flags: tuple[Flag, ...] = (),
           error: NoteError | None = None, code: str = "64640") -> NoteResult:
    codes = () if status in ("no_code", "error") else (
        CodeResult(code=code, title="Nerve destruction", modifiers=("LT",), units=1, source="billed",
                   status=status, score=score, missing=missing, flags=flags, rule_version=None),
    )
    return NoteResult(id=note_id, source=f"notes/{note_id}.txt", status=status, score=score,
                      elements=elements or {}, codes=codes, rules_version="test@1", error=error, text=text)


def render(results, include_text: bool = True) -> str:
    out = io.StringIO()
    renderer = HtmlRenderer(out, include_text=include_text)
    for r in results:
        renderer.write(r)
    renderer.close()
    return out.getvalue()


@pytest.fixture(scope="module")
def html_checker():
    from notecheck import Checker

    return Checker(keep_text=True)


def test_renderers_html_is_registered():
    assert RENDERERS["html"] is HtmlRenderer


def test_renderers_html_one_card_per_note_worst_first():
    results = [
        result("done", status="complete", score=100),
        result("weak", score=40, missing=("volume",)),
        result("flagged", score=80, flags=(Flag("wrong_code", "Looks like 64642.", ("64642",)),)),
        result("better", score=70, missing=("volume",)),
        result("nocode", status="no_code", score=None),
        result("broken", status="error", score=None, error=NoteError("too_large", "note is over the limit")),
    ]
    cards = Page(render(results)).cards()
    assert [c["data-id"] for c in cards] == ["broken", "flagged", "weak", "better", "nocode", "done"]
    assert cards[1]["data-flags"] == "wrong_code"
    assert cards[2]["data-missing"] == "volume" and cards[2]["data-codes"] == "64640"


def test_renderers_html_summary_counts_chart_and_filters():
    results = [result(f"n{i}", missing=("volume", "consent") if i < 3 else ("consent",)) for i in range(5)]
    html = render(results + [result("ok", status="complete", score=100)])
    page = Page(html)
    bars = [a for t, a in page.tags if t == "g" and "bar" in a.get("class", "")]
    assert [(b["data-f-code"], b["data-f-element"]) for b in bars] == [("64640", "consent"), ("64640", "volume")]
    assert "consent missing in 5 notes" in html and "volume missing in 3 notes" in html
    options = {(a.get("value")) for t, a in page.tags if t == "option"}
    assert {"incomplete", "complete", "64640", "volume", "consent", "worst", "low", "high"} <= options
    assert "6 of 6 notes" in html


@pytest.mark.parametrize(
    "text, spans, expected",
    [
        # nested: the side inside the nerve name gets its own colour, the rest the nerve's
        ("left obturator nerve", [finding("nerve_target", ev(0, 20, "left obturator nerve", "obturator_nerve")),
                                  finding("laterality", ev(0, 4, "left", "left"))],
         [("left", "ev e-laterality multi"), (" obturator nerve", "ev e-nerve_target")]),
        # crossing spans are cut at every boundary; nothing is lost or repeated
        ("5 mL phenol given", [finding("volume", ev(0, 11, "5 mL phenol", "5 mL")),
                               finding("agent", ev(5, 17, "phenol given", "phenol"))],
         [("5 mL ", "ev e-volume"), ("phenol", "ev e-volume multi"), (" given", "ev e-agent")]),
        # an excluded mention alone is struck and muted; a counted span over it keeps its colour
        ("no consent; consent obtained", [finding("consent", ev(3, 10, "consent", reason="negated"),
                                                  ev(12, 28, "consent obtained"))],
         [("consent", "ev e-consent x"), ("consent obtained", "ev e-consent")]),
    ],
)
def test_renderers_html_highlight_splits_overlapping_spans(text, spans, expected):
    note = result("n", text=text, elements=dict(spans))
    out = highlight(text, note)
    assert [(t, a["class"]) for a, t in Page(out).marks] == expected
    assert unescape(re.sub(r"<[^>]+>", "", out)) == text


def test_renderers_html_excluded_mention_has_its_reason_on_hover():
    text = "Consent: ___"
    note = result("n", text=text, elements=dict([finding("consent", ev(0, 12, text, reason="placeholder"))]))
    [(attrs, piece)] = Page(highlight(text, note)).marks
    assert "x" in attrs["class"].split() and "excluded: placeholder" in attrs["title"] and piece == text


def test_renderers_html_escapes_everything():
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    text = f"Left obturator nerve. {evil} & done"
    note = NoteResult(
        id=f'id{evil}', source=f'"{evil}', status="incomplete", score=10,
        elements=dict([finding("nerve_target", ev(5, 20, "obturator nerve", value=evil)),
                       finding("agent", ev(22, 30, "<script>", reason=evil))]),
        codes=(CodeResult(code="64640", title=evil, modifiers=(), units=1, source="billed", status="incomplete",
                          score=10, missing=("volume",), flags=(Flag(evil, evil, (evil,)),), reason=evil),),
        rules_version="test@1", text=text,
    )
    for include_text in (True, False):
        html = render([note], include_text=include_text)
        assert "<script>alert" not in html and "<img" not in html and "onerror=alert(1)>" not in html
        assert html.count("<script>") == 1  # the report's own script
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # in the note text the excluded span cuts "<script>" off into its own <mark>
    assert "&lt;script&gt;</mark>alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; done" in render([note])


def test_renderers_html_no_text_leaves_out_note_text():
    text = f"Left obturator nerve, phenol. {CANARY} in the note."
    elements = dict([finding("nerve_target", ev(5, 20, "obturator nerve", "obturator_nerve")),
                     finding("agent", ev(22, 28, "phenol", "phenol")),
                     finding("laterality", ev(30, 48, CANARY, reason="negated"))])
    note = result("n", text=text, elements=elements, missing=("volume",))
    assert CANARY in render([note], include_text=True)
    html = render([note], include_text=False)
    assert CANARY not in html and "Left obturator" not in html
    assert "5\u201320 obturator_nerve" in html and "(negated)" in html and "30\u201348" in html


def test_renderers_html_cli_no_text_canary(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text(f"Consent obtained. Left obturator nerve, 5 mL 6% phenol. {CANARY}\nCPT: 64640-LT\n")
    (notes / "b.txt").write_text(f"Indication: spasticity. {CANARY} Right tibial nerve with alcohol.\nCPT: 64640-RT\n")
    runner = CliRunner()
    for flags, canary_expected in (([], True), (["--no-text"], False)):
        out = tmp_path / f"report{len(flags)}.html"
        run = runner.invoke(app, ["scan", str(notes), "--format", "html", "-o", str(out), "-q", *flags])
        assert run.exit_code == 1, run.output  # both notes are incomplete
        html = out.read_text(encoding="utf-8")
        assert len(Page(html).cards()) == 2
        assert (CANARY in html) is canary_expected
        assert ("<mark" in html) is canary_expected


def test_renderers_html_missing_element_says_what_would_satisfy_it(html_checker):
    note = html_checker.check("Consent obtained. Indication: spasticity. Left obturator nerve, phenol injected under "
                              "ultrasound after negative aspiration. Tolerated well. Follow up in 2 weeks.", codes="64640-LT")
    assert note.codes[0].missing == ("volume",)
    html = render([note])
    assert "is missing <b>volume</b>: not documented." in html
    assert "The amount of the therapeutic agent" in html and "Required here because a chemical agent needs its amount" in html


def test_renderers_html_agent_that_does_not_fit_the_code_names_the_accepted_ones(html_checker):
    note = html_checker.check("Consent obtained. Indication: spasticity. Left obturator nerve, 40 units botulinum "
                              "toxin injected.", codes="64640-LT")
    assert "agent" in note.codes[0].missing
    html = render([note])
    assert "does not satisfy this code" in html and "This code accepts: phenol, alcohol" in html


def test_renderers_html_agent_examples_are_what_the_code_takes(html_checker):
    """A knee injection missing its agent was once told "phenol, dehydrated alcohol, glycerol"."""
    note = html_checker.check("Consent obtained. Indication: right knee osteoarthritis. The right knee joint was "
                              "injected under ultrasound. Tolerated well. Follow up in 6 weeks.", codes="20611-RT")
    assert "agent" in note.codes[0].missing
    hint = re.search(r"For example: ([^.]*)\.", Hints.load().satisfy(note, note.codes[0], "agent")).group(1)
    assert "phenol" not in hint and "alcohol" not in hint


@pytest.mark.skipif(not DEMO.is_dir(), reason="corpora/demo is not there")
def test_renderers_html_demo_report_is_self_contained(html_checker):
    from notecheck.readers import read_notes

    results = list(html_checker.check_many(read_notes([DEMO])))
    html = render(results)
    assert len(Page(html).cards()) == len(results) > 0
    assert not re.search(r"""(?:src|href|action|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"url\(|@import|<link|<iframe|<img", html, re.I)
    assert "http://" not in html and "https://" not in html
    # the Content-Security-Policy lets only the report's own script run, and nothing be fetched
    csp = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    script = re.search(r"<script>(.*)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert "default-src 'none'" in csp and f"script-src 'sha256-{digest}'" in csp


def test_renderers_html_flagged_complete_ranks_above_no_code():
    from dataclasses import replace

    mismatch = Flag("code_mismatch", "Fits 64624 better.", ("64624",))
    results = [
        result("done", status="complete", score=100),
        result("nocode", status="no_code", score=None),
        result("flagged", status="complete", score=100, flags=(mismatch,)),
        replace(result("norules", status="no_code", score=None), unsupported_codes=("64614",)),
    ]
    cards = Page(render(results)).cards()
    assert [c["data-id"] for c in cards] == ["norules", "flagged", "nocode", "done"]
    assert cards[0]["data-flags"] == "no_rule_file"


def test_renderers_html_header_names_input_date_and_versions():
    out = io.StringIO()
    renderer = HtmlRenderer(out, inputs=["exports/june.csv"])
    renderer.write(result("n"))
    renderer.close()
    header = re.search(r'<header class="top">(.*?)</header>', out.getvalue(), re.S).group(1)
    from notecheck import __version__

    assert "exports/june.csv" in header and f"notecheck {__version__}" in header and "rules test@1" in header
    assert re.search(r"checked \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", header)


def test_renderers_html_note_text_is_folded():
    text = "Left obturator nerve."
    note = result("n", text=text, elements=dict([finding("nerve_target", ev(5, 20, "obturator nerve"))]))
    page = Page(render([note]))
    [details] = [a for t, a in page.tags if t == "details"]
    assert "open" not in details and details["class"] == "note"
    assert ("button", {"type": "button", "id": "f-texts", "aria-pressed": "false"}) in page.tags


def test_renderers_html_card_shows_reasons_codes_without_rules_warnings_and_date():
    from dataclasses import replace

    from notecheck.models import NoteWarning

    text = "Consent: ___"
    note = replace(
        result("n", text=text, missing=("consent",),
               elements=dict([finding("consent", ev(0, 12, text, reason="placeholder"))])),
        unsupported_codes=("64614",), warnings=(NoteWarning("bad_service_date", "notes/n.txt: date unreadable"),),
        service_date_source="unreadable", columns=(("provider", "Dr Avery"),),
    )
    html = render([note])
    assert "is missing <b>consent</b> (placeholder)" in html
    assert "<b>64614</b>" in html and "no rule file" in html
    assert "bad_service_date" in html and "date of service unreadable" in html
    assert 'data-k0="Dr Avery"' in html and 'data-sort="provider"' in html
