"""The static site under reports/: a front page with the claims ledger of every built
study (claims x studies), and one page per study with its question, ledger, headline
figures, and links to every rendered notebook, table and figure.

Pages come from the Jinja2 templates in `templates/`; every link is relative, so the
folder works from the file system and from any static host.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pyarrow.parquet as pq
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .claims import VERDICTS, statements
from .figures import slug
from .io import read_parquet, read_parquet_metadata, write_text
from .paths import StudyPaths, output_root
from .plotting import VERDICT_COLORS, caption_path

# Figures shown first on a study page: one attribute's curves beside the aggregate, the gaps.
HEADLINE = ("community_forest", "04_learning_curves_{attribute}", "04_excess_error", "22_slopes", "22_compute",
            "21_values_by_size", "24_token_slopes", "23_aggregates_by_tokens", "42_extrapolation_margins",
            "41_learning_curves")
# Not shown on a study page: the one-study verdict matrix repeats its ledger table (kept in notebook 08).
REPEATS_LEDGER = ("08_verdict_matrix",)


def _number(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3g}"


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("community_scaling", "templates"), autoescape=select_autoescape(["j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _number
    env.globals["verdict_colors"] = VERDICT_COLORS
    return env


def _link(target: Path, page_dir: Path) -> str:
    """A relative URL from a page's folder to a file (forward slashes, also on Windows)."""
    return Path(os.path.relpath(target, page_dir)).as_posix()


@dataclass
class Figure:
    name: str
    caption: str
    notebook: str
    png: str
    files: list[dict]


def study_figures(paths: StudyPaths) -> list[Figure]:
    """Every figure of the study that has a caption and a PNG, in name order (the argument's order)."""
    found = []
    for record_path in sorted(paths.figures.glob("*.caption.json")):
        record = json.loads(record_path.read_text())
        png = paths.figures / f"{record['figure']}.png"
        if not png.exists():
            continue
        files = [{"href": f"figures/{name}", "label": Path(name).suffix.lstrip(".").upper()} for name in record["files"]
                 if (paths.figures / name).exists()]
        found.append(Figure(record["figure"], record["caption"], record["notebook"], f"figures/{png.name}", files))
    return found


def _notebook_summary(path: Path) -> tuple[str, str]:
    """The first heading and the 'Question.' paragraph of an executed notebook."""
    title, question = path.stem, ""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        for block in cell.source.split("\n\n"):
            text = " ".join(block.split())
            if text.startswith("# ") and title == path.stem:
                title = text[2:]
            elif text.startswith("**Question.**") and not question:
                question = text.removeprefix("**Question.**").strip()
        if question:
            break
    return title, question


def _tables(paths: StudyPaths) -> list[dict]:
    rows = []
    for path in sorted(paths.results.glob("*.parquet")):
        meta = pq.read_metadata(path)
        provenance = path.with_suffix(".provenance.json")
        rows.append({"name": path.stem, "href": _link(path, paths.reports), "rows": f"{meta.num_rows:,}",
                     "columns": ", ".join(meta.schema.names[:12]) + (" ..." if len(meta.schema.names) > 12 else ""),
                     "provenance": _link(provenance, paths.reports) if provenance.exists() else ""})
    return rows


def _study_summary(paths: StudyPaths) -> dict:
    meta = read_parquet_metadata(paths.table("ledger"))
    parameters = meta.get("parameters", {})
    code = meta.get("code", {})
    return {"name": paths.study, "title": parameters.get("study", {}).get("title") or paths.study,
            "description": " ".join(str(parameters.get("study", {}).get("description") or "").split()),
            "commit": str(code.get("commit", "unknown")), "dirty": bool(code.get("dirty")),
            "parameter_hash": str(meta.get("parameter_hash", ""))[:12],
            "communities": parameters.get("data", {}).get("communities", [])}


def _headline(paths: StudyPaths, figures: list[Figure] | None = None) -> list[Figure]:
    """The HEADLINE figures that exist, in that order; the curves are of the study's first attribute."""
    figures = study_figures(paths) if figures is None else figures
    communities = _study_summary(paths)["communities"]
    wanted = [name.format(attribute=slug(communities[0] if communities else "")) for name in HEADLINE]
    by_name = {f.name: f for f in figures}
    return [by_name[name] for name in wanted if name in by_name]


FOREST_CAPTION = (
    "Each community's {quantity} with its 95% interval (one row per community, sorted), beside the aggregate's "
    "(dashed line{band}); {reading}. Red rows with a cross: the communities C3's per-community test flags as left behind ({rule}). Look for "
    "rows far from the dashed line, and for red ones: communities whose scaling is not the aggregate's.")


def draw_community_forest(paths: StudyPaths) -> Path | None:
    """The study's community forest plot (community_forest.py) from the tables its notebooks wrote, into its
    figures with a caption; None when the study has no per-community scaling table."""
    from . import community_forest

    parameters = read_parquet_metadata(paths.table("ledger")).get("parameters", {})
    stem = paths.figure("community_forest")
    if paths.table("community_exponents").exists():
        fits = parameters.get("fits", {})
        table = community_forest.from_exponents(read_parquet(paths.table("community_exponents")),
                                                fits.get("floor_gain", 0.001), fits.get("exponent_margin", 0.1))
        source = paths.table("community_exponents")
        quantity, band = "exponent c of its error above its floor", ""
        rule = "exponent shown below the aggregate's, one-sided, Holm across communities"
        reading = "left of the line: error shrinks more slowly than the aggregate's"
    elif all(paths.table(t).exists() for t in ("slopes", "lags", "evaluations")):
        margin = parameters.get("published", {}).get("spread_margin", 0.25)
        table = community_forest.from_slopes(read_parquet(paths.table("slopes")), read_parquet(paths.table("lags")),
                                             read_parquet(paths.table("evaluations")), margin)
        source = paths.table("slopes")
        quantity, band = "change in badness per tenfold of parameters", "; grey: its interval"
        rule = f"gains less than the aggregate by more than {margin:g} of its gain, one-sided, step-down max-T"
        reading = "below 0: badness falls as models grow; right of the line: a community gains less than the aggregate"
    else:
        return None
    if table.empty:
        return None
    notebook = read_parquet_metadata(source).get("notebook", "")  # the caption links the notebook that wrote it
    community_forest.save(table, stem, quantity, FOREST_CAPTION.format(quantity=quantity, band=band, rule=rule, reading=reading),
                          notebook, title=f"{paths.study}: each community's scaling beside the aggregate's")
    return stem


def study_page(paths: StudyPaths) -> str:
    draw_community_forest(paths)
    study = _study_summary(paths)
    ledger = read_parquet(paths.table("ledger"))
    figures = [f for f in study_figures(paths) if f.name not in REPEATS_LEDGER]
    headline = _headline(paths, figures)
    others = [f for f in figures if f not in headline]
    notebooks = []
    for html in sorted(paths.html.glob("*.html")):
        executed = paths.notebooks / f"{html.stem}.ipynb"
        title, question = _notebook_summary(executed) if executed.exists() else (html.stem, "")
        notebooks.append({"html": f"html/{html.name}", "ipynb": f"notebooks/{executed.name}", "title": title,
                          "question": question})
    return _environment().get_template("study.html.j2").render(
        study=study, ledger=[{**row, "power_note": _power_note(SimpleNamespace(**row))} for row in ledger.to_dict("records")],
        headline=headline, others=others, notebooks=notebooks,
        tables=_tables(paths))


def _power_note(record) -> str:
    """' (could detect ...)' beside an inconclusive verdict whose claim states its power, else ''."""
    from .claims._record import detectable

    phrase = detectable(record)
    return f" ({phrase})" if phrase else ""


def snapshot(paths: StudyPaths, folder: Path) -> list[Path]:
    """Keep what the README quotes from a real run in a tracked folder: the ledger as CSV and
    Markdown, and the headline figures (PNG) with their captions; figures an earlier snapshot kept
    and this one does not are removed."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    ledger = read_parquet(paths.table("ledger"))
    columns = ["claim", "statement", "verdict", "effect_name", "effect", "ci_low", "ci_high", "test", "rule"]
    written = [write_text(ledger[columns].to_csv(index=False), folder / "ledger.csv")]
    lines = [f"# {paths.study}: the claims ledger and headline figures", "",
             f"Copied by `make snapshot STUDY={paths.study}` from a real run; code {_study_summary(paths)['commit']}.",
             "", "| claim | statement | verdict | effect [95% interval] |", "|---|---|---|---|"]
    lines += [f"| {r.claim} | {r.statement} | **{r.verdict}**{' (fragile)' if getattr(r, 'fragile', False) else ''}"
              f"{_power_note(r)} | {r.effect_name}: {_number(r.effect)} "
              f"[{_number(r.ci_low)}, {_number(r.ci_high)}] |" for r in ledger.itertuples()]
    for figure in _headline(paths):
        target = folder / Path(figure.png).name
        shutil.copyfile(paths.reports / figure.png, target)
        written.append(target)
        lines += ["", f"![{figure.name}]({target.name})", "", f"*{figure.name}.* {figure.caption}"]
    written.append(write_text("\n".join(lines) + "\n", folder / "README.md"))
    for stale in set(folder.glob("*.png")) - set(written):  # a figure no longer headlined would be quoted stale
        stale.unlink()
    return written


def built_studies(root: Path) -> list[str]:
    """Studies under `root` whose ledger and study page exist, in name order."""
    return sorted(p.parent.name for p in (root / "reports").glob("*/index.html")
                  if (root / "results" / p.parent.name / "ledger.parquet").exists())


def cross_study_ledger(root: Path):
    """Claims x studies: one row per built study and claim (verdict, effect, interval, fragile)."""
    import pandas as pd

    parts = [read_parquet(StudyPaths(name, root).table("ledger")) for name in built_studies(root)]
    columns = ["study", "claim", "verdict", "effect_name", "effect", "ci_low", "ci_high", "fragile", "test"]
    if not parts:
        return pd.DataFrame(columns=columns)
    ledger = pd.concat(parts, ignore_index=True).reindex(columns=columns)
    return ledger.sort_values(["claim", "study"]).reset_index(drop=True)


def disagreements(ledger) -> list[dict]:
    """Claims on which the studies that can test them reach different verdicts; 'conflict' when one
    supports what another does not."""
    out = []
    for claim, rows in ledger[ledger.verdict != "not applicable"].groupby("claim", sort=True):
        verdicts = dict(zip(rows.study, rows.verdict))
        if len(set(verdicts.values())) > 1:
            conflict = {"supported", "not supported"} <= set(verdicts.values())
            out.append({"claim": claim, "conflict": conflict,
                        "verdicts": "; ".join(f"{v} in {s}" for s, v in sorted(verdicts.items()))})
    return out


def unavailable_studies(root: Path) -> dict:
    """Studies `make all` could not build for want of data (build/unavailable.json), with their files."""
    path = root / "build" / "unavailable.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _front_verdict_matrix(ledger, folder: Path) -> str:
    """Draw the claims x studies verdict matrix (where it shows agreement at a glance); its link from the front page."""
    import matplotlib.pyplot as plt

    from .figures import verdict_matrix
    from .plotting import save_figure

    fig = verdict_matrix(ledger)
    save_figure(fig, folder / "verdict_matrix", ("png",), dpi=110)
    plt.close(fig)
    return "figures/verdict_matrix.png"


def front_page(root: Path) -> str:
    import pandas as pd

    from .findings import claim_findings

    studies = []
    for name in built_studies(root):
        paths = StudyPaths(name, root)
        ledger = read_parquet(paths.table("ledger"))
        counts = ledger.verdict.value_counts()
        studies.append({**_study_summary(paths), "rows": {r["claim"]: r for r in ledger.to_dict("records")},
                        "counts": ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)})
    claims = [{"claim": c, "statement": s} for c, s in statements().items()]
    forests, kinds = [], set()
    for study in studies:
        paths = StudyPaths(study["name"], root)
        kind = read_parquet_metadata(paths.table("ledger")).get("parameters", {}).get("study", {}).get("kind", "")
        found = [f for f in study_figures(paths) if f.name == "community_forest"]
        if found and kind not in kinds:
            kinds.add(kind)
            forests.append({"study": study["name"], "kind": kind or "sweep", "caption": found[0].caption,
                            "png": f"{study['name']}/{found[0].png}"})
    ledger = cross_study_ledger(root)
    full = [read_parquet(StudyPaths(name, root).table("ledger")) for name in built_studies(root)]
    findings = claim_findings(pd.concat(full, ignore_index=True)) if full else []
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    text = ledger.to_csv(index=False)
    target = folder / "cross_study_ledger.csv"
    if not target.exists() or target.read_text() != text:
        write_text(text, target)
    matrix = _front_verdict_matrix(ledger, root / "reports" / "figures") if len(studies) > 1 else None
    return _environment().get_template("front.html.j2").render(
        studies=studies, claims=claims, disagreements=disagreements(ledger), findings=findings, matrix=matrix, forests=forests,
        unavailable=unavailable_studies(root))


def _publish(text: str, path: Path) -> Path:
    """Write a page atomically, readable by everyone the umask allows (a static host's server too)."""
    written = write_text(text, path)
    umask = os.umask(0)
    os.umask(umask)
    written.chmod(0o666 & ~umask)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("study", nargs="?", help="write this study's page (omit with --front)")
    parser.add_argument("--front", action="store_true", help="write the front page over every built study")
    parser.add_argument("--output-root", default=None)
    parser.add_argument("--snapshot", type=Path, default=None,
                        help="instead of the page, copy the study's ledger and headline figures into this folder")
    args = parser.parse_args(argv)
    if not args.study and not args.front:
        parser.error("name a study, or pass --front")
    if args.study and args.snapshot:
        for path in snapshot(StudyPaths(args.study, args.output_root), args.snapshot):
            print(f"wrote {path}")
    elif args.study:
        paths = StudyPaths(args.study, args.output_root)
        print(f"wrote {_publish(study_page(paths), paths.reports / 'index.html')}")
    if args.front:
        root = output_root(args.output_root)
        print(f"wrote {_publish(front_page(root), root / 'reports' / 'index.html')}")


if __name__ == "__main__":
    main()
