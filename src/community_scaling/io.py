"""Atomic writes and checked reads of tables and JSON.

Every file is written to a temporary name in the same folder and renamed into
place, so a crash never leaves a half-written file that is later read as valid.
"""

from __future__ import annotations

import hashlib
import json
import os
import reprlib
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class InputError(ValueError):
    """Bad input from a study file or a reader's dataset; the message names the culprit."""


# A 200,000-element list quoted whole made a 1.5 MB error line; quote its start only.
_SHORT = reprlib.Repr()
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 8
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 80, 80, 40


def shortened(value: Any) -> str:
    """repr(value) for an error message, long lists, texts and numbers cut short with '...'."""
    return _SHORT.repr(value)


def require_columns(frame, columns, name: str) -> None:
    """InputError naming `name` and its missing columns, or a frame that is not a DataFrame."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{name} lacks column(s) {missing}; it has {list(frame.columns)}")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _atomic_target(path: Path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    # mkstemp makes the file 0600; results are shared, so give them the usual umask-based mode.
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    return path, Path(tmp)


def write_parquet(frame: pd.DataFrame, path: Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write a table atomically; `metadata` is stored as JSON in the parquet schema."""
    path, tmp = _atomic_target(path)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if metadata is not None:
            existing = table.schema.metadata or {}
            blob = json.dumps(metadata, sort_keys=True, default=str).encode()
            table = table.replace_schema_metadata({**existing, b"community_scaling": blob})
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a parquet file, naming the file when it is missing or unreadable."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"file not found: {path}")
    try:
        return pq.read_table(path, columns=columns).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot read parquet file {path}: {exc}") from exc


def read_parquet_metadata(path: Path) -> dict[str, Any]:
    """The JSON metadata that write_parquet stored (empty if none)."""
    try:
        meta = pq.read_schema(path).metadata or {}
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot read parquet file {path}: {exc}") from exc
    blob = meta.get(b"community_scaling")
    return json.loads(blob) if blob else {}


def write_json(obj: Any, path: Path) -> Path:
    path, tmp = _atomic_target(path)
    try:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text(text: str, path: Path) -> Path:
    path, tmp = _atomic_target(path)
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def stable_hash(obj: Any) -> str:
    """sha256 of a JSON-serialisable object with sorted keys (parameter and unit keys)."""
    blob = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()
