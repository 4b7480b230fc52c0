"""One readable line for a notebook that failed under `make`.

papermill prints 60-150 lines of traceback with the line that matters last.
The Makefile sends that to a log, keeps the failed notebook (its error cell
holds the full traceback) and calls this to print the notebook, the study and
the error's own message.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def error_message(notebook: Path) -> str | None:
    """'ErrorName: message' of the first error output in an executed notebook, or None."""
    try:
        executed = nbformat.read(notebook, as_version=4)
    except Exception:  # a notebook cut short by a killed kernel may not parse
        return None
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                text = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
                return " ".join(_ANSI.sub("", text).split())
    return None


def summary(notebook_name: str, study: str, failed: Path, log: Path) -> str:
    message = error_message(failed) if failed.exists() else None
    if message is None and log.exists():  # the kernel died, or papermill failed before running a cell
        lines = [line for line in _ANSI.sub("", log.read_text(errors="replace")).splitlines() if line.strip()]
        message = lines[-1].strip() if lines else "no message"
    where = failed if failed.exists() else log
    return f"error: notebook {notebook_name} of study {study} failed: {message} (full traceback: {where})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebook")
    parser.add_argument("study")
    parser.add_argument("failed", type=Path, help="the failed executed notebook")
    parser.add_argument("log", type=Path, help="papermill's own output")
    args = parser.parse_args(argv)
    print(summary(args.notebook, args.study, args.failed, args.log))


if __name__ == "__main__":
    main()
