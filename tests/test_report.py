"""The site's pages, built from a small fake study: the ledger is on both pages, every
figure is shown with its caption, and every link and image is relative and resolves."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd

from community_scaling import plotting, report
from community_scaling.claims import statements
from community_scaling.io import write_parquet
from community_scaling.paths import StudyPaths


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("href", "src"):
            if attrs.get(key):
                self.found.append(attrs[key])


def _references(page: Path) -> list[str]:
    parser = _References()
    parser.feed(page.read_text())
    return parser.found


def _fake_study(root: Path) -> StudyPaths:
    paths = StudyPaths("fake", root).make_dirs()
    ledger = pd.DataFrame([dict(study="fake", claim=c, statement=s, test="a test", effect_name="share", effect=0.5,
                                ci_low=0.4, ci_high=0.6, verdict="supported", rule="a rule", details="",
                                notebook="04_scaling_fits", fragile=c == "C6") for c, s in statements().items()])
    ledger.loc[ledger.claim == "C5", ["verdict", "effect", "ci_low", "ci_high", "details"]] = \
        ["not applicable", float("nan"), float("nan"), float("nan"), "no values measured"]
    meta = {"parameters": {"study": {"title": "A fake study", "description": "Made up."},
                           "data": {"communities": ["race"]}}, "parameter_hash": "abc", "code": {"commit": "c0ffee"}}
    write_parquet(ledger, paths.table("ledger"), metadata=meta)
    paths.html.mkdir(parents=True)
    paths.notebooks.mkdir(parents=True)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 4. Fits\n\n**Question.** Does it?")])
    nbformat.write(notebook, paths.notebooks / "04_scaling_fits.ipynb")
    (paths.html / "04_scaling_fits.html").write_text("<html></html>")
    for name in ("04_learning_curves_race", "04_excess_error", "08_verdict_matrix", "02_other"):
        fig, _ = plt.subplots()
        files = plotting.save_figure(fig, paths.figure(name), ("png", "pdf"), 20)
        plotting.write_caption(paths.figure(name), f"Caption of {name}. Look here.", "04_scaling_fits", files)
        plt.close(fig)
    return paths


def test_pages_show_ledger_figures_and_relative_links(tmp_path):
    paths = _fake_study(tmp_path)
    study_page = paths.reports / "index.html"
    study_page.write_text(report.study_page(paths))
    front = tmp_path / "reports" / "index.html"
    front.write_text(report.front_page(tmp_path))

    text = study_page.read_text()
    assert "A fake study" in text and "Does it?" in text and "Claims ledger" in text
    # headline figures come first, in the stated order; every figure appears with its caption
    order = [text.index(f'id="{n}"') for n in ("04_learning_curves_race", "04_excess_error", "02_other")]
    assert order == sorted(order) and text.count("Look here.</figcaption>") == 3
    assert 'id="08_verdict_matrix"' not in text  # it would repeat the ledger table above it
    assert "ledger.parquet" in text and "ledger.provenance.json" not in text  # no provenance file was written
    assert all(c in front.read_text() for c in statements()) and 'href="fake/index.html"' in front.read_text()
    # the findings open the front page, before the ledger, quoting the ledger's numbers
    assert front.read_text().index('id="findings"') < front.read_text().index("<h2>Claims ledger</h2>")
    assert "Share: 0.5 (95% interval 0.4 to 0.6)" in front.read_text()
    # a fragile verdict says so on both pages; a claim not applicable shows its reason, not "n/a [n/a, n/a]"
    assert text.count("(fragile)") == 1 and front.read_text().count("(fragile)") == 1
    assert 'title="no values measured"><b>not applicable</b>' in front.read_text()
    assert "n/a [n/a, n/a]" not in front.read_text()

    for page in (study_page, front):
        for ref in _references(page):
            assert not ref.startswith(("/", "file:", "http")), f"{page.name}: absolute link {ref}"
            assert (page.parent / ref.split("#")[0]).exists(), f"{page.name}: {ref} does not resolve"


def test_figure_without_caption_is_refused(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="needs a caption"):
        plotting.write_caption(tmp_path / "x", "  ", "04", [])


def test_snapshot_keeps_the_headline_figures_and_drops_stale_ones(tmp_path):
    paths = _fake_study(tmp_path)
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "08_verdict_matrix.png").write_bytes(b"from an earlier snapshot")
    written = report.snapshot(paths, kept)
    assert {"04_learning_curves_race.png", "04_excess_error.png"} <= {p.name for p in kept.glob("*.png")}
    assert not (kept / "08_verdict_matrix.png").exists()  # the study page no longer shows it
    assert set(kept.iterdir()) == set(written)
    ledger = pd.read_csv(kept / "ledger.csv").set_index("claim")
    assert len(ledger) == 7 and ledger.loc["C5", "verdict"] == "not applicable"
    assert "| **supported** (fragile) |" in (kept / "README.md").read_text()  # C6 is fragile in the fake ledger


def test_forest_caption_links_the_notebook_that_wrote_its_table(tmp_path):
    import json

    paths = _fake_study(tmp_path)
    gaps = [0.1, -0.1, 0.0]
    exponents = pd.DataFrame({"model": "pooled", "attribute": "race", "community": ["a", "b", "c"], "n_eval": 100.0,
                              "n_seeds": 5, "c": [0.3, 0.5, 0.4], "c_ci_low": 0.1, "c_ci_high": 0.7,
                              "c_aggregate": 0.4, "gap": gaps, "gap_se": 0.05, "p_slower": 0.5, "gain": 0.01,
                              "gain_ci_high": 0.02, "reason": ""})
    write_parquet(exponents, paths.table("community_exponents"), metadata={"notebook": "33_rater_curves"})
    caption = json.loads(plotting.caption_path(report.draw_community_forest(paths)).read_text())
    assert caption["notebook"] == "33_rater_curves"  # a rater study has no notebook 04 to link
