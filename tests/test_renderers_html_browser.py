"""The HTML report in headless Chromium: the DOM a reader sees, the filters working, a screenshot.

Needs the Debian packages ``chromium`` and ``chromium-driver`` and the Python package ``selenium``
(in the ``test`` extra). Skipped only when Chromium itself is not installed.
The screenshot goes to tests/_artifacts/ (or $NOTECHECK_ARTIFACTS).
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from notecheck.readers import read_notes
from notecheck.renderers.html import HtmlRenderer

CHROMIUM = shutil.which("chromium")
DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
ARTIFACTS = Path(os.environ.get("NOTECHECK_ARTIFACTS") or Path(__file__).resolve().parent / "_artifacts")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1400,1000"]
WIDTH = 1400  # the report must fit this wide a window without sideways scrolling

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The HTML report of corpora/demo, and the results it was made from."""
    from notecheck import Checker

    results = list(Checker(keep_text=True).check_many(read_notes([DEMO])))
    out = io.StringIO()
    renderer = HtmlRenderer(out, include_text=True, inputs=["corpora/demo"])
    for r in results:
        renderer.write(r)
    renderer.close()
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path, results


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        from selenium import webdriver
    except ImportError:
        pytest.fail("selenium is not installed: pip install '.[test]'")
    driver_path = shutil.which("chromedriver")
    if driver_path is None:
        pytest.fail("Chromium is installed but chromedriver is not: apt-get install chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    yield driver
    driver.quit()


def visible_cards(driver) -> list:
    return [c for c in driver.find_elements("css selector", "article.card") if c.is_displayed()]


def test_renderers_html_browser_shows_every_note_highlighted_and_filters(report, browser):
    from selenium.webdriver.support.ui import Select

    path, results = report
    browser.get(path.as_uri())

    assert len(browser.find_elements("css selector", "article.card")) == len(results) > 0
    assert len(visible_cards(browser)) == len(results)
    assert browser.find_element("id", "shown").text == f"{len(results)} of {len(results)} notes"

    # the header names the input, the date, the notecheck and rules versions
    header = browser.find_element("css selector", "header.top").text
    assert "corpora/demo" in header and "checked 20" in header and "notecheck 0." in header and "rules notecheck" in header

    # note texts are folded; one button unfolds them all
    assert [m for m in browser.find_elements("css selector", "mark.ev") if m.is_displayed()] == []
    browser.find_element("id", "f-texts").click()
    counted = [m for m in browser.find_elements("css selector", "mark.ev:not(.x)") if m.is_displayed()]
    assert counted, "no highlighted evidence span is shown"
    colour = counted[0].value_of_css_property("background-color")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    excluded = browser.find_elements("css selector", "mark.x")
    assert excluded and "excluded:" in excluded[0].get_attribute("title")

    # choosing a status in the filter hides every card of another status
    complete = sum(r.status == "complete" for r in results)
    assert 0 < complete < len(results)
    Select(browser.find_element("id", "f-status")).select_by_value("complete")
    shown = visible_cards(browser)
    assert len(shown) == complete and {c.get_attribute("data-status") for c in shown} == {"complete"}
    assert browser.find_element("id", "shown").text == f"{complete} of {len(results)} notes"

    # clicking a bar of the chart shows the notes missing that element for that code
    bar = browser.find_elements("css selector", "svg.chart g.bar")[0]
    code, element = bar.get_attribute("data-f-code"), bar.get_attribute("data-f-element")
    bar.find_element("css selector", "rect").click()
    expected = [r.id for r in results if any(c.code == code and element in c.missing for c in r.codes)]
    assert sorted(c.get_attribute("data-id") for c in visible_cards(browser)) == sorted(expected)

    # sorting by score puts the lowest first; "show all" brings every card back
    browser.find_element("id", "f-reset").click()
    Select(browser.find_element("id", "f-sort")).select_by_value("low")
    scores = [int(c.get_attribute("data-score")) for c in visible_cards(browser) if c.get_attribute("data-score")]
    assert scores == sorted(scores) and len(visible_cards(browser)) == len(results)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    Select(browser.find_element("id", "f-sort")).select_by_value("worst")
    browser.execute_script("window.scrollTo(0, 0)")
    assert browser.save_screenshot(str(ARTIFACTS / "report_demo.png"))

    # nothing is wider than the window, texts unfolded or not
    browser.set_window_size(WIDTH, 1000)
    for _ in range(2):
        inner, scroll = browser.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]")
        assert scroll <= inner, f"the page is {scroll} px wide in a {inner} px window"
        browser.find_element("id", "f-texts").click()

    # no script error and no Content-Security-Policy violation
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


def test_renderers_html_browser_sorts_by_a_pass_through_column(report, browser, tmp_path):
    from dataclasses import replace

    from selenium.webdriver.support.ui import Select

    _, results = report
    providers = ["Dr Cole", "", "Dr Avery", "Dr Brook"]
    picked = [replace(r, columns=(("provider", providers[i % 4] or None),)) for i, r in enumerate(results[:8])]
    out = io.StringIO()
    renderer = HtmlRenderer(out, include_text=True, inputs=["export.csv"])
    for r in picked:
        renderer.write(r)
    renderer.close()
    path = tmp_path / "kept.html"
    path.write_text(out.getvalue(), encoding="utf-8")
    browser.get(path.as_uri())
    Select(browser.find_element("id", "f-sort")).select_by_visible_text("provider")
    shown = [c.get_attribute("data-k0") for c in visible_cards(browser)]
    assert shown == sorted(p for p in shown if p) + [""] * shown.count("")
    assert shown[0] == "Dr Avery" and shown[-1] == ""
