"""One readable line for a notebook that failed under `make`.

papermill prints 60-150 lines of traceback with the line that matters last.
The Makefile sends that to a log, keeps the failed notebook (its error cell
holds the full traceback) and calls this to print the notebook, the study and
the error's own message. When neither the notebook nor the log holds one (a
full disk can leave both empty), the line says so, names both files, and gives
the free space when it is low.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import nbformat

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The last line of a traceback: an exception's (dotted) name, then its message if it has one.
_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b(:.*)?")
LOW_DISK_BYTES = 1 << 30  # below this, a full disk is a likely reason for a failure with no message


def error_message(notebook: Path) -> str | None:
    """'ErrorName: message' of the first error output in an executed notebook, or None."""
    try:
        executed = nbformat.read(notebook, as_version=4)
    except Exception:  # a notebook cut short by a killed kernel may not parse
        return None
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                name, value = output.get("ename", "Error"), " ".join(_ANSI.sub("", output.get("evalue", "")).split())
                return f"{name}: {value}" if value else f"{name} (with no message)"
    return None


def log_message(log: Path) -> str | None:
    """The last exception line of papermill's log (else its last line), or None if it is empty or unreadable."""
    try:
        lines = [line.strip() for line in _ANSI.sub("", log.read_text(errors="replace")).splitlines() if line.strip()]
    except OSError:
        return None
    exceptions = [line for line in lines if _EXCEPTION_LINE.fullmatch(line)]
    return (exceptions or lines or [None])[-1]


def low_disk(folder: Path) -> str | None:
    """'N MB free on <folder>' when the disk holding `folder` (or its nearest existing parent) is nearly full."""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("/"))
    free = shutil.disk_usage(existing).free
    return f"only {free / 2**20:.0f} MB free on the disk of {existing}" if free < LOW_DISK_BYTES else None


def summary(notebook_name: str, study: str, failed: Path, log: Path) -> str:
    head = f"error: notebook {notebook_name} of study {study} failed"
    message = error_message(failed) if failed.exists() else None
    if message is None:  # the kernel died, or papermill failed before running a cell
        message = log_message(log) if log.exists() else None
    if message is not None:
        return f"{head}: {message} (full traceback: {failed if failed.exists() else log})"
    notebook = "holds no error output" if failed.exists() else "was not written"
    logged = "holds no message" if log.exists() else "was not written"
    line = (f"{head}: no error message was recorded (the failed notebook {failed} {notebook}; "
            f"the papermill log {log} {logged})")
    disk = low_disk(failed.parent)
    return f"{line}; {disk}: a full disk may have stopped it" if disk else line


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
