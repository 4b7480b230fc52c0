"""One stamp of the raw input files' content, for Make: rewritten only when a file's
sha256 changes, so what is stale follows content, not modification times (a copy made
with `cp -p`, `rsync -a` or `tar x` keeps an older time than the results it replaces).

Hashes are cached by (path, size, mtime_ns, inode): a no-op make hashes nothing, and a
copy with other content changes at least one of them (a new inode if nothing else)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

# Not io.sha256_file / io.write_text: io imports pandas, which would add 0.4 s to every make.

STAMP = "input_sha256.txt"
CACHE = "input_sha256.cache.json"
LIST = "input_files.txt"  # written by `study --stamps`


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_text(text: str, path: Path) -> None:
    """Written beside, then renamed: make never reads half a stamp."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def _hash(path: Path, cache: dict) -> str:
    info = path.stat()
    key = [info.st_size, info.st_mtime_ns, info.st_ino]
    cached = cache.get(str(path))
    if cached and cached[:3] == key:
        return cached[3]
    cache[str(path)] = [*key, sha256_file(path)]
    return cache[str(path)][3]


def _read(stamp: Path) -> dict[str, str]:
    if not stamp.exists():
        return {}
    return {path: digest for digest, path in (line.split("  ", 1) for line in stamp.read_text().splitlines())}


def refresh(folder: Path) -> bool:
    """Rewrite folder/input_sha256.txt from the files listed in folder/input_files.txt; True when
    a file seen before changed or went. A file seen for the first time keeps the stamp's time:
    nothing built before can have read it but the notebook that fetched it."""
    if not folder.is_dir():  # a dry run before the study was ever validated
        return False
    cache_file, stamp = folder / CACHE, folder / STAMP
    listed = (folder / LIST).read_text().splitlines() if (folder / LIST).exists() else []
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    hashes = {name: _hash(Path(name), cache) for name in listed if Path(name).is_file()}
    write_text(json.dumps(cache, indent=0, sort_keys=True) + "\n", cache_file)
    before = _read(stamp)
    if hashes == before:
        return False
    changed = any(hashes.get(name) != digest for name, digest in before.items())
    old_time = stamp.stat().st_mtime_ns if stamp.exists() else None
    write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(hashes.items())), stamp)
    if old_time is not None and not changed:
        os.utime(stamp, ns=(old_time, old_time))
    return changed


def main(argv=None):
    folder = Path((argv or sys.argv[1:])[0])
    if refresh(folder):
        print(f"raw data changed (sha256): {folder / STAMP} rewritten; what reads it runs again")


if __name__ == "__main__":
    main()
