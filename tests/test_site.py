"""The site as a reader meets it: opened in headless Chromium from the file system,
every page reachable from the front page loads without a console error, every image
loads, every link resolves, and no link is absolute. The test's screenshots go to its
temporary folder (tests never write into the project); the kept ones, of the census
site, come from `make snapshot` into benchmarks/results/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from community_scaling import site_check
from community_scaling.findings import number
from community_scaling.site_check import INSTALL_HINT, Chromium, check_site, find_chromium

needs_browser = pytest.mark.skipif(find_chromium() is None, reason=INSTALL_HINT)


@pytest.fixture(scope="module")
def browser():
    with Chromium() as chromium:
        yield chromium


@pytest.fixture
def site(request):
    """The two-study site (a sweep and a published-results study) where the mirror allows, else the smoke site."""
    try:
        return request.getfixturevalue("two_study_build")
    except pytest.skip.Exception:
        return request.getfixturevalue("smoke_build")


@pytest.mark.slow
@needs_browser
def test_site_in_a_real_browser(site, browser):
    reports = site.out / "reports"
    report = check_site(reports, browser)
    assert not report.problems, "\n".join(report.problems)
    pages = set(report.pages)
    # the front page, each study's page and every rendered notebook were reached by following links
    assert {"index.html"} | {f"{study}/index.html" for study in site.studies} <= pages
    for study in site.studies:
        assert {f"{study}/html/{p.name}" for p in (reports / study / "html").glob("*.html")} <= pages, study
    # every figure but the one-study verdict matrix (it repeats the ledger table) is shown on its page, and loads
    figures = [p for study in site.studies for p in (reports / study / "figures").glob("*.png")
               if p.stem != "08_verdict_matrix"]
    assert report.images_loaded >= len(figures) > 0

    # the front page opens with the findings, one per claim, before the ledger; forest plots load there
    browser.visit((reports / "index.html").as_uri())
    front = browser.evaluate(
        "({findings: document.querySelectorAll('#findings + p + dl.findings dt').length,"
        " before: document.getElementById('findings').compareDocumentPosition("
        "   [...document.querySelectorAll('h2')].find(h => h.textContent === 'Claims ledger')) === 4,"
        " forests: [...document.querySelectorAll('figure.forest img')].map(i => i.complete && i.naturalWidth > 0)})")
    assert front["findings"] == 7 and front["before"]
    # each finding's sentence carries the numbers of its claim's ledger rows, as the site prints them
    shown = dict(browser.evaluate(
        "[...document.querySelectorAll('dl.findings dt')].map(dt => [dt.querySelector('b').textContent,"
        " dt.nextElementSibling.textContent])"))
    ledgers = pd.concat([pd.read_parquet(site.out / "results" / s / "ledger.parquet") for s in site.studies])
    for row in ledgers[ledgers.verdict != "not applicable"].itertuples():
        for value in (row.effect, row.ci_low, row.ci_high):
            assert number(value) in shown[row.claim], (row.claim, value, shown[row.claim])
    assert front["forests"] and all(front["forests"])
    for study in site.studies:  # each study with communities shows its forest plot on its own page
        browser.visit((reports / study / "index.html").as_uri())
        assert browser.evaluate("(i => !!i && i.complete && i.naturalWidth > 0)"
                                "(document.querySelector('#community_forest img'))"), study

    for name, page in (("smoke_front_page", reports / "index.html"),
                       ("smoke_study_page", site.reports / "index.html")):
        browser.visit(page.as_uri())
        shot = browser.screenshot(site.out / "screenshots" / f"{name}.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


@needs_browser
def test_browser_check_catches_broken_pages(tmp_path, browser):
    """The check itself can fail: a missing link target, a missing image and a script error are all reported."""
    site = tmp_path / "reports"
    (site / "study").mkdir(parents=True)
    (site / "index.html").write_text(
        '<!doctype html><html><body><a href="study/index.html">study</a> <a href="missing.html">gone</a>'
        '<a href="/etc/hostname">absolute</a></body></html>')
    (site / "study" / "index.html").write_text(
        '<!doctype html><html><body><img src="nothing.png"><script>undefinedFunction()</script></body></html>')
    report = check_site(site, browser)
    assert report.pages == ["index.html", "study/index.html"]
    assert [p for p in report.broken_links if "missing.html" in p]
    assert report.absolute_links and report.broken_images
    assert any("undefinedFunction" in e for e in report.console_errors)


@needs_browser
def test_the_browser_leaves_no_process_or_profile_behind():
    """Closing ends Chromium's whole process group and removes its profile."""
    with Chromium() as chromium:
        chromium.visit("about:blank")
        profile, group = chromium._profile, chromium._process.pid
        assert profile.is_dir()
    assert not profile.exists()
    assert not _live_members(group)


def test_a_profile_that_cannot_be_removed_is_a_warning_not_an_error(tmp_path, monkeypatch):
    """A browser helper still writing into its profile once failed CI at teardown; now it is named and left."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    monkeypatch.setattr(site_check.shutil, "rmtree", lambda *args, **kwargs: None)
    with pytest.warns(UserWarning, match=str(profile)):
        site_check.remove_profile(profile, attempts=2)
    assert profile.is_dir()


def _live_members(group: int) -> list[int]:
    """Processes of a process group that still run (zombies, waiting for init to reap them, cannot write)."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while being read
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            live.append(int(stat.parent.name))
    return live
