"""`make all` without STUDY: build every study of the default set, then the front page.

A study whose raw data is neither cached nor downloadable is never dropped silently: it is
recorded in build/unavailable.json (file, URL, where to put a copy), which the front page
lists, and named again at the end of make's output. Any other failure stops the build.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

from . import downloads, pipeline
from .io import InputError, write_text
from .paths import output_root
from .study import load


def missing_data(study_name: str) -> list[dict]:
    """The raw files a study cannot get: each with its name, URL and where a copy belongs."""
    study = load(study_name)
    kind = study["study"]["kind"]
    if kind in ("sweep", "curve_database"):
        return []  # the sweep studies of the default set and LCDB read data shipped with a package
    if kind in ("published_results", "published_grid"):
        from . import llm_results
        names = llm_results.files(study["published"]["source"], study["published"]["families"] or None)
    else:
        from . import rater_labels
        names = rater_labels.files(study["raters"]["source"])
    missing = []
    for name in names:
        try:
            downloads.fetch(name)
        except InputError as error:
            url, digest = downloads.REGISTRY.get(name) or (downloads.UNPINNED[name], None)
            missing.append({"file": name, "url": url, "sha256": digest, "error": str(error).split(" (")[0]})
    return missing


def write_unavailable(root: Path, unavailable: dict[str, list[dict]]) -> Path:
    """build/unavailable.json, rewritten only when it changes (a no-op rebuild stays a no-op)."""
    path = root / "build" / "unavailable.json"
    text = json.dumps(unavailable, indent=1, sort_keys=True) + "\n"
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(text, path)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("studies", nargs="*", default=list(pipeline.DEFAULT_STUDIES))
    parser.add_argument("--output-root", default=None)
    parser.add_argument("--make", default="make")
    parser.add_argument("--extra-studies", default="",
                        help="the Makefile's EXTRA_STUDIES as one text: study names separated by spaces")
    args = parser.parse_args(argv)
    root = output_root(args.output_root)
    extra = args.extra_studies.split()
    for name in extra:  # typed by hand: every name checked before hours of building, the variable named
        try:
            load(name)
        except InputError as error:
            sys.exit(f"error: EXTRA_STUDIES names {name!r}, which cannot be built: {error}")
    for name in args.studies:
        try:
            load(name)
        except InputError as error:
            sys.exit(f"error: study {name!r} cannot be built: {error}")
    args.studies = list(dict.fromkeys([*args.studies, *extra]))
    unavailable = {}
    for name in args.studies:
        missing = missing_data(name)
        if missing:
            unavailable[name] = missing
            print(f"study {name}: {len(missing)} raw file(s) neither cached nor downloadable; skipped", flush=True)
            continue
        command = [*shlex.split(args.make), "--no-print-directory", "all", f"STUDY={name}", f"OUT={root}"]
        status = subprocess.call(command)
        if status:
            write_unavailable(root, unavailable)
            sys.exit(f"error: study {name} failed (make exited {status}); the studies before it are built")
    write_unavailable(root, unavailable)
    built = [s for s in args.studies if s not in unavailable]
    if built:  # the front page, now listing the skipped studies (a no-op when nothing changed)
        subprocess.check_call([*shlex.split(args.make), "--no-print-directory", "all", f"STUDY={built[0]}",
                               f"OUT={root}"], stdout=subprocess.DEVNULL)
    for name, missing in unavailable.items():
        first = missing[0]
        print(f"NOT BUILT: study {name}: {len(missing)} file(s) unavailable, e.g. {first['file']} from "
              f"{first['url']} (sha256 {first['sha256']}); save copies under the data cache at that relative path "
              "(or set COMMUNITY_SCALING_DATA to a folder that holds them) and run make all again")
    print(f"built {len(built)} of {len(args.studies)} studies: {', '.join(built)}; front page: "
          f"{root / 'reports' / 'index.html'}")


if __name__ == "__main__":
    main()
