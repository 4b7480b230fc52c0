"""The index page of a study: the claims ledger and links to every rendered notebook and figure."""

from __future__ import annotations

import argparse
import html

from .io import read_parquet, read_parquet_metadata, write_text
from .paths import StudyPaths

VERDICT_COLORS = {"supported": "#d9f0d3", "not supported": "#fddbc7", "inconclusive": "#f0f0f0",
                  "not applicable": "#ffffff"}


def index_page(paths: StudyPaths) -> str:
    ledger = read_parquet(paths.table("ledger"))
    meta = read_parquet_metadata(paths.table("ledger"))
    code = meta.get("code", {})
    rows = "".join(
        f"<tr style='background:{VERDICT_COLORS.get(r.verdict, '#fff')}'><td>{r.claim}</td>"
        f"<td>{html.escape(r.statement)}</td><td>{html.escape(r.effect_name)}: {r.effect:.4g} "
        f"[{r.ci_low:.4g}, {r.ci_high:.4g}]</td><td><b>{r.verdict}</b></td><td>{html.escape(r.rule)}</td></tr>"
        for r in ledger.itertuples())
    notebooks = "".join(f"<li><a href='html/{p.name}'>{p.stem}</a></li>" for p in sorted(paths.html.glob("*.html")))
    figures = "".join(f"<li><a href='figures/{p.name}'>{p.name}</a></li>" for p in sorted(paths.figures.glob("*.png")))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{paths.study}: claims ledger</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}td,th{{padding:.3em;vertical-align:top;border-bottom:1px solid #ccc}}</style>
</head><body><h1>Do scaling laws scale? Study <code>{html.escape(paths.study)}</code></h1>
<h2>Claims ledger</h2><table><tr><th>claim</th><th>statement</th><th>effect [95% interval]</th><th>verdict</th><th>rule</th></tr>{rows}</table>
<p>Code {html.escape(str(code.get('commit', 'unknown')))}{' (uncommitted changes)' if code.get('dirty') else ''};
parameter hash {html.escape(str(meta.get('parameter_hash', ''))[:12])}.</p>
<h2>Notebooks, in the order of the argument</h2><ol>{notebooks}</ol>
<h2>Figures</h2><ul>{figures}</ul></body></html>
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("study")
    parser.add_argument("--output-root", default=None)
    args = parser.parse_args(argv)
    paths = StudyPaths(args.study, args.output_root)
    target = write_text(index_page(paths), paths.reports / "index.html")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
