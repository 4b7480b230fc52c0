"""Issue 22, bad input on every kind: hostile text never becomes markup, a truncated ACS
file is refused before its hash is pinned, and trust on first use is said on make's console."""

import shutil

import pandas as pd
import pytest
import yaml

from community_scaling import acs_files, safe_markdown, study
from community_scaling.io import InputError, sha256_file
from community_scaling.paths import PROJECT_ROOT
from conftest import SHARED_DATA

NOTEBOOKS = PROJECT_ROOT / "notebooks"
HOSTILE_TITLE = "<script>document.body.id=String.fromCharCode(80,87,78)</script> T"

ACS_SAMPLE = SHARED_DATA / "acs" / "2017" / "1-Year" / "psam_p01.csv"
needs_acs = pytest.mark.skipif(not ACS_SAMPLE.exists(), reason="needs the ACS sample in ../shared/data")


def test_markdown_shows_tags_as_text_and_keeps_its_own_markup():
    html = safe_markdown.Markdown(f"- **Study:** {HOSTILE_TITLE}\n- community `<b>D</b>` and <b>D</b>")._repr_html_()
    assert "<script" not in html and "<b>D</b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;D&lt;/b&gt;" in html
    assert "<strong>Study:</strong>" in html and "<li>" in html  # Markdown itself still renders


def test_pandas_tables_escape_community_names():
    html = pd.DataFrame({"community": ["<b>D</b>", HOSTILE_TITLE], "n": [1, 2]})._repr_html_()
    assert "<b>D</b>" not in html and "<script" not in html and "&lt;b&gt;D&lt;/b&gt;" in html


def test_no_notebook_shows_markup_by_a_road_that_does_not_escape():
    """IPython's Markdown and HTML pass tags through; a Styler does not escape unless told."""
    for source in sorted(NOTEBOOKS.glob("*.py")):
        text = source.read_text()
        for road in ("import Markdown", "Markdown, ", "import HTML", ", HTML", ".style.", "to_html("):
            assert road not in text.replace("safe_markdown import Markdown", ""), f"{source.name} uses {road!r}"


def _acs_study(tmp_path, **data):
    config = {"data": {"source": "acs", "acs_year": 2017, "acs_states": ["AL"], "acs_task": "ACSIncome",
                       "communities": ["race", "sex"], **data},
              "evaluation": {"min_count": 20, "min_positives": 3},
              "sweep": {"sizes": [100, 200, "all"], "seeds": 2, "models": {"logistic_regression": {}}},
              "fits": {"bootstrap": 10, "holdout_sizes": 1}}
    path = tmp_path / "acshostile.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _truncated_copy(cache, keep_lines=3001):
    """The mirror's person file cut in the middle of data row `keep_lines - 1`."""
    target = cache / "acs" / "2017" / "1-Year" / ACS_SAMPLE.name
    target.parent.mkdir(parents=True)
    lines = ACS_SAMPLE.read_bytes().splitlines(keepends=True)
    target.write_bytes(b"".join(lines[:keep_lines]) + lines[keep_lines][: len(lines[keep_lines]) // 2])
    return target


@needs_acs
def test_a_truncated_acs_file_is_an_error_naming_it_and_is_never_pinned(tmp_path):
    cache = tmp_path / "cache"
    truncated = _truncated_copy(cache)
    s = study.load("acshostile", _acs_study(tmp_path, acs_trust_on_first_use=True))
    with pytest.raises(InputError, match=rf"{truncated}: its last line has \d+ of \d+ fields and no line end"):
        acs_files.ensure(s["data"], s.file, cache=cache)
    assert not acs_files.record_file(s.file).exists()


@needs_acs
def test_the_reader_itself_refuses_a_truncated_person_file(tmp_path):
    from community_scaling import acs

    truncated = _truncated_copy(tmp_path / "cache")
    with pytest.raises(InputError, match=str(truncated)):
        acs.read_person_file(truncated, acs.task("ACSIncome"))


@needs_acs
def test_trust_on_first_use_is_said_on_makes_console(tmp_path, monkeypatch, capsys):
    cache = tmp_path / "cache"
    (cache / "acs" / "2017" / "1-Year").mkdir(parents=True)
    shutil.copy(ACS_SAMPLE, cache / "acs" / "2017" / "1-Year")
    monkeypatch.setenv("COMMUNITY_SCALING_DATA", str(cache))
    file = _acs_study(tmp_path, acs_trust_on_first_use=True)
    study.main(["acshostile", "--study-file", str(file)])
    assert "TRUST ON FIRST USE: psam_p01.csv" in capsys.readouterr().err
    acs_files.ensure(study.load("acshostile", file)["data"], file)  # the record now holds it
    study.main(["acshostile", "--study-file", str(file)])
    assert "TRUST ON FIRST USE" not in capsys.readouterr().err


def _rendered_page(tmp_path, markdown_import: str):
    """A notebook that shows the hostile title and community as the notebooks do, executed and
    rendered to HTML with the site's nbconvert template (what `make` does, minus the study)."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    code = (f"{markdown_import}\nfrom IPython.display import display\nimport pandas as pd\n"
            f"display(Markdown('- **Study:** ' + {HOSTILE_TITLE!r} + '\\n- **Smallest:** <b>D</b>'))\n"
            "display(pd.DataFrame({'community': ['<b>D</b>'], 'n': [3]}))")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(notebook, kernel_name="python3", timeout=120).execute()
    exporter = HTMLExporter(template_name="compendium",
                            extra_template_basedirs=[str(PROJECT_ROOT / "src/community_scaling/templates/nbconvert")])
    page = tmp_path / f"{len(list(tmp_path.glob('*.html')))}.html"
    page.write_text(exporter.from_notebook_node(notebook)[0])
    return page


INJECTED = ("[document.body.id, [...document.querySelectorAll('b')].filter(e => e.textContent === 'D').length,"
            " document.body.innerText.includes('<b>D</b>')]")


@pytest.mark.slow
def test_hostile_title_and_community_run_nothing_in_the_browser(tmp_path):
    from community_scaling.site_check import INSTALL_HINT, Chromium, find_chromium

    if find_chromium() is None:
        pytest.skip(INSTALL_HINT)
    safe = _rendered_page(tmp_path, "from community_scaling.safe_markdown import Markdown")
    raw = _rendered_page(tmp_path, "from IPython.display import Markdown")
    with Chromium() as browser:
        browser.visit(raw.as_uri())
        assert browser.evaluate(INJECTED)[:2] == ["PWN", 1]  # the check sees an injection when there is one
        browser.visit(safe.as_uri())
        assert browser.evaluate(INJECTED) == ["", 0, True]  # no script ran, no element made; the text is shown


def test_a_corrupt_cached_published_file_is_named_with_both_hashes(tmp_path, monkeypatch):
    """Offline, with a damaged copy in the cache: not "save it as <the path that already exists>"."""
    import pooch

    from community_scaling import build_all, downloads

    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    name = "llm_evals/bigscience/evaluation/results/tr11/bloom1b3/bslmeval.json"  # one of bloom_flores
    cached = tmp_path / name
    cached.parent.mkdir(parents=True)
    cached.write_text('{"results": "cut sho')
    monkeypatch.setenv("COMMUNITY_SCALING_DATA", str(tmp_path))
    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(InputError) as info:
        downloads.fetch(name)
    message, digest = str(info.value), downloads.REGISTRY[name][1]
    assert f"the cached copy at {cached} has sha256 {sha256_file(cached)}, expected {digest}" in message
    assert f"Delete {cached}" in message and "save it as" not in message
    reported = [m for m in build_all.missing_data("bloom_flores") if m["file"] == name]
    assert sha256_file(cached) in reported[0]["error"] and str(cached) in reported[0]["error"]


def _older_copy_with_other_content(data, tmp_path):
    """What `cp -p` of another file does: new content, an older modification time, same size."""
    import os

    before = data.stat()
    text = data.read_text()
    replacement = tmp_path / "replacement.csv"
    replacement.write_text(text.replace("yes", "Yes", 1).replace("no", "No", 1) if "yes" in text else text[::-1])
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns - 10**9))
    os.replace(replacement, data)
    assert data.stat().st_mtime_ns < before.st_mtime_ns and data.stat().st_size == before.st_size


def test_the_input_stamp_follows_content_not_times(tmp_path):
    from community_scaling import input_stamp

    data, stamps = tmp_path / "people.csv", tmp_path / "stamps"
    data.write_text("label,group\nyes,a\nno,b\n")
    stamps.mkdir()
    (stamps / input_stamp.LIST).write_text(f"{data}\n")
    assert input_stamp.refresh(stamps) is False  # first sight: the stamp is written, nothing is stale
    stamp = stamps / input_stamp.STAMP
    first = stamp.stat().st_mtime_ns
    assert input_stamp.refresh(stamps) is False and stamp.stat().st_mtime_ns == first  # no-op
    _older_copy_with_other_content(data, tmp_path)
    assert input_stamp.refresh(stamps) is True
    assert stamp.read_text().split()[0] == sha256_file(data) and stamp.stat().st_mtime_ns > first


def test_a_no_op_refresh_hashes_nothing(tmp_path, monkeypatch):
    from community_scaling import input_stamp

    data, stamps = tmp_path / "people.csv", tmp_path / "stamps"
    data.write_text("label\nyes\n")
    stamps.mkdir()
    (stamps / input_stamp.LIST).write_text(f"{data}\n")
    input_stamp.refresh(stamps)

    def refuse(path):
        raise AssertionError(f"hashed {path} again")

    monkeypatch.setattr(input_stamp, "sha256_file", refuse)
    assert input_stamp.refresh(stamps) is False


@pytest.mark.slow
def test_an_older_copy_with_other_content_reruns_ingest(tmp_path):
    from test_make_safety import _ingest_built_then, make

    args = _ingest_built_then(tmp_path, lambda data: _older_copy_with_other_content(data, tmp_path))
    rerun = make(*args)
    assert rerun.returncode == 0 and "papermill 01_ingest" in rerun.stdout, rerun.stdout + rerun.stderr
    assert "papermill 01_ingest" not in make(*args).stdout  # and then up to date again


def test_a_swapped_dices_copy_is_caught_by_its_first_hash(tmp_path):
    """DICES publishes no checksum: the first copy's sha256 is recorded, a different later copy refused."""
    from community_scaling import rater_labels

    copy = tmp_path / "dices" / "diverse_safety_adversarial_dialog_350.csv"
    copy.parent.mkdir()
    copy.write_text("rater_id,item_id,Q_overall\n1,1,Yes\n")
    study_file = tmp_path / "dicesstudy.yaml"
    rater_labels.check_first_hashes({str(copy): sha256_file(copy)}, study_file)
    record = acs_files.record_file(study_file)
    assert acs_files.read_record(record) == {copy.name: sha256_file(copy)}
    rater_labels.check_first_hashes({str(copy): sha256_file(copy)}, study_file)  # the same copy passes
    first = sha256_file(copy)
    copy.write_text("rater_id,item_id,Q_overall\n1,1,No\n")
    with pytest.raises(InputError, match=rf"{copy}: sha256 {sha256_file(copy)} does not match {first} pinned in {record}"):
        rater_labels.check_first_hashes({str(copy): sha256_file(copy)}, study_file)


@pytest.mark.slow
def test_the_ingest_page_make_renders_shows_hostile_text_as_text(tmp_path):
    """The real road: make runs 01_ingest on a study whose title and community name are markup,
    renders its HTML with the site's template, and the browser finds no injected element."""
    from community_scaling.site_check import INSTALL_HINT, Chromium, find_chromium
    from test_make_safety import _file_study, _needs_environment, _study_args, make

    _needs_environment()
    if find_chromium() is None:
        pytest.skip(INSTALL_HINT)
    study_file = _file_study(tmp_path)
    config = yaml.safe_load(study_file.read_text())
    config["study"] = {"title": HOSTILE_TITLE}
    study_file.write_text(yaml.safe_dump(config))
    data = tmp_path / "people.csv"
    frame = pd.read_csv(data)
    frame.assign(group=frame.group.map({"a": "<b>D</b>", "b": "b"})).to_csv(data, index=False)
    page = tmp_path / "out" / "reports" / "filestudy" / "html" / "01_ingest.html"
    built = make(str(page), *_study_args(tmp_path, study_file))
    assert built.returncode == 0, built.stderr
    with Chromium() as browser:
        browser.visit(page.as_uri())
        body_id, bold_d, shown = browser.evaluate(INJECTED)
        assert (body_id, bold_d) == ("", 0) and shown
        assert HOSTILE_TITLE.split(" T")[0] in browser.evaluate("document.body.innerText")
