"""ACS PUMS person files: where they live, where they come from, and how they are checked.

Files sit in folktables' layout under the data cache (moved by $COMMUNITY_SCALING_DATA):
`acs/<year>/<horizon>/psam_p<fips>.csv` (years before 2017: `ss<yy>p<st>.csv`), each
extracted from the Census Bureau's zip `csv_p<st>.zip` (st the lower-case postal code).

The Census Bureau publishes no checksums for these zips, and none is invented here.
A file's sha256 is pinned in the study file (`data.acs_sha256: {name: sha256}`) or
in the study's hash record, a `<study>.sha256` file beside the study file
(sha256sum format) that is meant to be committed. A file with neither is an error,
unless the study says `data.acs_trust_on_first_use: true`: then its hash is
recorded there, with a loud warning, and every later run is checked against it.
"""

from __future__ import annotations

import logging
import os
import re
import zipfile
from pathlib import Path

from . import downloads
from .io import InputError, sha256_file, write_text
from .paths import data_cache

log = logging.getLogger(__name__)

CENSUS_PUMS = "https://www2.census.gov/programs-surveys/acs/data/pums"
# Years with PUMS person files at CENSUS_PUMS/<year>/<horizon> that folktables can read (it needs
# 2014 or later). The Bureau released no standard 1-Year data for 2020 (COVID-19); extend on a new release.
PUBLISHED_YEARS = {"1-Year": tuple(y for y in range(2014, 2025) if y != 2020), "5-Year": tuple(range(2014, 2025))}
SHA256 = re.compile(r"[0-9a-f]{64}")


def state_codes() -> dict[str, str]:
    """Postal code -> two-digit FIPS code, as folktables reads the files (its own table)."""
    import importlib

    # the module, not the function of the same name that folktables' package exports
    return dict(importlib.import_module("folktables.load_acs")._STATE_CODES)


def csv_name(state: str, year: int) -> str:
    """The person file's name inside the Census zip (folktables' naming)."""
    if year >= 2017:
        return f"psam_p{state_codes()[state]}.csv"
    return f"ss{str(year)[-2:]}p{state.lower()}.csv"


def zip_name(state: str) -> str:
    return f"csv_p{state.lower()}.zip"


def zip_url(state: str, year: int, horizon: str) -> str:
    return f"{CENSUS_PUMS}/{year}/{horizon}/{zip_name(state)}"


def folder(year: int, horizon: str, cache: str | Path | None = None) -> Path:
    """folktables' root_dir/<year>/<horizon> under the data cache."""
    return data_cache(cache) / "acs" / str(year) / horizon


def expected_files(data: dict, cache: str | Path | None = None) -> list[Path]:
    """The person files a study reads (they may not exist yet)."""
    where = folder(data["acs_year"], data["acs_horizon"], cache)
    return [where / csv_name(state, data["acs_year"]) for state in data["acs_states"]]


def record_file(study_file: Path) -> Path:
    """The study's hash record: `<study>.sha256` beside the study file."""
    return Path(study_file).with_suffix(".sha256")


def read_record(path: Path) -> dict[str, str]:
    """name -> sha256 from a sha256sum-format file (empty when it does not exist)."""
    if not path.exists():
        return {}
    pins = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or not SHA256.fullmatch(parts[0]):
            raise InputError(f"hash record {path}, line {number}: expected '<sha256>  <file name>', got {line!r}")
        pins[parts[1].strip()] = parts[0]
    return pins


class Checksums:
    """The pinned and recorded sha256 of a study's files that no publisher checksums (ACS, DICES),
    and the trust-on-first-use rule."""

    def __init__(self, study_file: Path, pins: dict | None = None, trust_on_first_use: bool = False):
        self.study_file = Path(study_file)
        self.record = record_file(study_file)
        self.trust_on_first_use = trust_on_first_use
        self.pins = dict(pins or {})
        self.recorded = read_record(self.record)
        for name, digest in self.recorded.items():
            if name in self.pins and self.pins[name] != digest:
                raise InputError(f"{name}: data.acs_sha256 in {self.study_file} pins {self.pins[name]} but "
                                 f"{self.record} records {digest}; keep one of them")

    @classmethod
    def of_acs(cls, data: dict, study_file: Path) -> "Checksums":
        return cls(study_file, data["acs_sha256"], data["acs_trust_on_first_use"])

    def expected(self, name: str) -> str | None:
        return self.pins.get(name) or self.recorded.get(name)

    def require_pin_or_trust(self, name: str) -> None:
        if self.expected(name) is None and not self.trust_on_first_use:
            raise InputError(
                f"no sha256 pinned for {name}, and the Census Bureau publishes none. Pin it in {self.study_file} "
                f"(data.acs_sha256: {{{name}: <sha256>}}) or set data.acs_trust_on_first_use: true to record "
                f"the hash of the first copy in {self.record} and check every later run against it")

    def check(self, name: str, path: Path) -> str:
        """The file's sha256, checked against its pin or record, or recorded on first use."""
        digest = sha256_file(path)
        expected = self.expected(name)
        if expected is None:
            self.require_pin_or_trust(name)
            self._remember(name, digest)
        elif digest != expected:
            source = "data.acs_sha256" if name in self.pins else str(self.record)
            raise InputError(f"{path}: sha256 {digest} does not match {expected} pinned in {source} "
                             "(a corrupt or truncated copy, or a different release): delete the file to fetch "
                             "it again, or fix the pin")
        return digest

    def _remember(self, name: str, digest: str) -> None:
        self.recorded[name] = digest
        text = ("# sha256 of files first seen by this study (trust on first use); commit this file\n"
                + "".join(f"{d}  {n}\n" for n, d in sorted(self.recorded.items())))
        write_text(text, self.record)
        log.warning("TRUST ON FIRST USE: %s has no pinned sha256; recorded %s in %s. Nothing proves this copy "
                    "is the publisher's: commit that file so later runs are checked against it.",
                    name, digest, self.record)


def ensure(data: dict, study_file: Path, cache: str | Path | None = None, timeout: float = 120) -> dict[str, str]:
    """Every person file of the study present and checked: fetched from the Census zips
    when missing (pooch, via downloads.fetch_url). Returns {relative path: sha256}."""
    from .ingest import csv_header_checks

    checks = Checksums.of_acs(data, study_file)
    year, horizon = data["acs_year"], data["acs_horizon"]
    where = folder(year, horizon, cache)
    hashes = {}
    for state, path in zip(data["acs_states"], expected_files(data, cache)):
        if not path.exists():
            archive = zip_name(state)
            checks.require_pin_or_trust(archive)
            relative = f"acs/{year}/{horizon}/{archive}"
            downloaded = downloads.fetch_url(relative, zip_url(state, year, horizon), checks.expected(archive),
                                             cache, timeout)
            checks.check(archive, downloaded)
            _extract(downloaded, path.name, where)
            downloaded.unlink()  # the extracted file is what is read and checked from now on
        csv_header_checks(path)  # before its hash is checked or, on first use, recorded
        hashes[f"acs/{year}/{horizon}/{path.name}"] = checks.check(path.name, path)
    return hashes


def unpinned(data: dict, study_file: Path, cache: str | Path | None = None) -> list[str]:
    """The person files whose hash neither the study file nor its record holds yet."""
    checks = Checksums.of_acs(data, study_file)
    return [path.name for path in expected_files(data, cache) if checks.expected(path.name) is None]


def _extract(archive: Path, member: str, where: Path) -> Path:
    """One member of a zip, written under a temporary name and renamed into place."""
    target = where / member
    temporary = where / f".{member}.partial"
    try:
        with zipfile.ZipFile(archive) as handle, handle.open(member) as source, open(temporary, "wb") as out:
            while block := source.read(1 << 20):
                out.write(block)
        os.replace(temporary, target)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise InputError(f"{archive}: cannot extract {member} ({type(exc).__name__}: {exc}); delete the zip to "
                         "fetch it again") from exc
    finally:
        temporary.unlink(missing_ok=True)
    return target
