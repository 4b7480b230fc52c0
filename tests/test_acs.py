"""ACS PUMS (folktables' layout): the loader against folktables' own on the Alabama sample,
a study built from the mirror, checksums pinned, recorded on first use or refused, and the
Census zip fetched and extracted (a loopback server stands in for the Census Bureau)."""

import functools
import http.server
import logging
import threading
import zipfile

import numpy as np
import pandas as pd
import pytest
import yaml

from community_scaling import acs, acs_files, ingest, study, sweep
from community_scaling.io import InputError, sha256_file
from conftest import SHARED_DATA

SAMPLE = SHARED_DATA / "acs" / "2017" / "1-Year" / "psam_p01.csv"
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="needs the ACS sample in ../shared/data")


def _study(tmp_path, name="acsstudy", **data):
    config = {"data": {"source": "acs", "acs_year": 2017, "acs_states": ["AL"], "acs_task": "ACSIncome",
                       "bands": {"age_band": {"column": "AGEP", "edges": [17, 30, 45, 65]}},
                       "communities": ["race", "sex", "state", "age_band"], "intersections": [["race", "sex"]],
                       **data},
              "evaluation": {"min_count": 20, "min_positives": 3},
              "sweep": {"sizes": [100, 200, 400, 800, "all"], "seeds": 2, "models": {"logistic_regression": {}}},
              "fits": {"bootstrap": 10, "holdout_sizes": 1}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return study.load(name, path)


@pytest.mark.parametrize("name, rows", [("ACSIncome", 2321), ("ACSEmployment", 5000), ("ACSPublicCoverage", 1958)])
def test_loader_gives_what_folktables_gives_on_the_sample(name, rows):
    import folktables

    source = folktables.ACSDataSource(survey_year="2017", horizon="1-Year", survey="person",
                                      root_dir=str(SHARED_DATA / "acs"))
    problem = acs.task(name)
    features, target, _ = problem.df_to_pandas(source.get_data(states=["AL"], download=False))
    ours = acs.read_person_file(SAMPLE, problem, chunk_rows=700)  # several chunks, a short last one
    assert len(ours) == len(features) == rows
    np.testing.assert_array_equal(ours[problem.features].to_numpy(dtype="float64"), features.to_numpy(dtype="float64"))
    np.testing.assert_array_equal(ours[problem.target].to_numpy(), target.iloc[:, 0].to_numpy().astype("int8"))
    assert (ours[problem.features].dtypes == "float32").all()
    assert ours.race.nunique() == len(np.unique(features.RAC1P)) and set(ours.state) == {"AL"}


def test_acs_study_builds_from_the_mirror(tmp_path):
    s = _study(tmp_path, acs_sha256={"psam_p01.csv": sha256_file(SAMPLE)})
    assert s["data"]["target"] == "PINCP" and s["data"]["population"] is None
    prepared = ingest.prepare(s)
    copies = prepared.dropped_rows["test rows identical to a training row (features and label)"]
    assert len(prepared.train) + len(prepared.test) + copies == 2321
    assert prepared.features == list(acs.task("ACSIncome").features)
    assert {"race", "sex", "state", "age_band", "race x sex"} <= set(prepared.attributes)
    sheet = ingest.datasheet(prepared, 20, 3)
    assert set(sheet[sheet.attribute == "sex"].community) == {"Female", "Male"}
    assert prepared.raw_sha256 == {"acs/2017/1-Year/psam_p01.csv": sha256_file(SAMPLE)}
    ingest.write_processed(prepared, tmp_path / "processed", {})
    units = sweep.plan_units({"logistic_regression": {}}, [200, len(prepared.train)], 1)
    table = sweep.run_sweep(units, tmp_path / "processed", tmp_path / "cache", "sequential")
    scores = sweep.load_scores(table, tmp_path / "cache")
    error = ((scores[-1] >= 0.5) != prepared.test.y.to_numpy()).mean()
    assert error < prepared.test.y.mean()  # better than calling everyone below $50,000


def test_unpinned_file_is_refused_unless_trusted(tmp_path):
    s = _study(tmp_path)
    with pytest.raises(InputError, match=r"no sha256 pinned for psam_p01.csv.*data.acs_sha256.*acs_trust_on_first_use"):
        ingest.prepare(s)
    assert not (tmp_path / "acsstudy.sha256").exists()


def test_trust_on_first_use_records_the_hash_then_checks_it(tmp_path, caplog):
    s = _study(tmp_path, acs_trust_on_first_use=True)
    with caplog.at_level(logging.WARNING):
        acs_files.ensure(s["data"], s.file)
    record = tmp_path / "acsstudy.sha256"
    assert acs_files.read_record(record) == {"psam_p01.csv": sha256_file(SAMPLE)}
    assert "TRUST ON FIRST USE: psam_p01.csv" in caplog.text and str(record) in caplog.text
    caplog.clear()
    acs_files.ensure(s["data"], s.file)  # checked against the record, nothing new to trust
    assert "TRUST ON FIRST USE" not in caplog.text
    record.write_text(f"{'0' * 64}  psam_p01.csv\n")  # the copy no longer matches what was recorded
    with pytest.raises(InputError, match=rf"{SAMPLE}: sha256 [0-9a-f]{{64}} does not match 0{{64}} pinned in {record}"):
        acs_files.ensure(s["data"], s.file)


def test_wrong_pin_names_the_file(tmp_path):
    s = _study(tmp_path, acs_sha256={"psam_p01.csv": "a" * 64})
    with pytest.raises(InputError, match=rf"{SAMPLE}: sha256 .* does not match a{{64}} pinned in data.acs_sha256"):
        ingest.prepare(s)


@pytest.fixture
def census_server(tmp_path):
    """A loopback server holding csv_pal.zip (the sample inside) where the Census Bureau keeps it."""
    root = tmp_path / "server"
    archive = root / "2017" / "1-Year" / "csv_pal.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.write(SAMPLE, "psam_p01.csv")
        handle.writestr("ACS2017_PUMS_README.pdf", b"not read")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", archive
    server.shutdown()


def test_missing_file_is_fetched_from_the_census_zip_and_extracted(tmp_path, monkeypatch, census_server):
    url, archive = census_server
    monkeypatch.setattr(acs_files, "CENSUS_PUMS", url)
    cache = tmp_path / "cache"
    s = _study(tmp_path, acs_sha256={"csv_pal.zip": sha256_file(archive)}, acs_trust_on_first_use=True)
    hashes = acs_files.ensure(s["data"], s.file, cache=cache)
    extracted = cache / "acs" / "2017" / "1-Year" / "psam_p01.csv"
    assert extracted.read_bytes() == SAMPLE.read_bytes()
    assert hashes == {"acs/2017/1-Year/psam_p01.csv": sha256_file(SAMPLE)}
    assert not (cache / "acs" / "2017" / "1-Year" / "csv_pal.zip").exists()  # the zip goes once extracted
    assert acs_files.read_record(tmp_path / "acsstudy.sha256") == {"psam_p01.csv": sha256_file(SAMPLE)}


def test_downloaded_zip_with_the_wrong_hash_is_rejected(tmp_path, monkeypatch, census_server):
    url, archive = census_server
    monkeypatch.setattr(acs_files, "CENSUS_PUMS", url)
    s = _study(tmp_path, acs_sha256={"csv_pal.zip": "b" * 64})
    with pytest.raises(InputError, match=r"acs/2017/1-Year/csv_pal.zip: the file downloaded from .* does not match"):
        acs_files.ensure(s["data"], s.file, cache=tmp_path / "cache")
    assert not (tmp_path / "cache" / "acs" / "2017" / "1-Year" / "psam_p01.csv").exists()


@pytest.mark.parametrize("data, message", [
    ({"acs_task": "ACSIncom"}, "data.acs_task 'ACSIncom' is not a supported task (did you mean 'ACSIncome'?)"),
    ({"acs_states": ["AL", "XX"]}, "data.acs_states ['XX']: give two-letter postal codes"),
    ({"acs_states": []}, "data.acs_states []"),
    ({"target": "income"}, "data.target is set by data.acs_task for source 'acs'"),
    ({"acs_sha256": {"psam_p01.csv": "abc"}}, "data.acs_sha256.psam_p01.csv must be 64 lower-case hexadecimal digits"),
    ({"acs_year": 2012}, "data.acs_year must be 2014 or later"),
])
def test_bad_acs_settings_are_named(tmp_path, data, message):
    with pytest.raises(InputError) as info:
        _study(tmp_path, **data)
    assert message in str(info.value)


def test_acs_keys_belong_to_the_acs_source(write_study):
    with pytest.raises(InputError, match="data.acs_year is for data.source 'acs' only"):
        study.load("x", write_study({"data": {"source": "census_kdd", "acs_year": 2018}}))


def test_all_states_are_folktables_list():
    import folktables

    s = study.load("acs_income_2018_all")
    assert s["data"]["acs_states"] == folktables.state_list and len(folktables.state_list) == 51
    assert len(ingest.input_files(s)) == 51


@pytest.mark.slow
def test_acs_study_runs_through_make_to_the_sweep(tmp_path):
    """notebooks 01-03 on the Alabama sample from the mirror, the hash recorded on first use."""
    import subprocess
    import sys
    from pathlib import Path

    venv = Path(sys.executable).parent.parent
    if not (venv / ".installed").exists():
        pytest.skip(f"not inside the project environment ({venv / '.installed'} missing); run `make test`")
    s = _study(tmp_path, acs_trust_on_first_use=True)
    out = tmp_path / "out"
    target = out / "reports" / "acsstudy" / "notebooks" / "03_sweep.ipynb"
    project = Path(__file__).resolve().parents[1]
    result = subprocess.run(["make", "-C", str(project), f"VENV={venv}", str(target), "STUDY=acsstudy",
                             f"STUDY_FILE={s.file}", f"OUT={out}"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    units = pd.read_parquet(out / "results" / "acsstudy" / "units.parquet")
    assert len(units) == 5 * 2 and units.scale.max() == len(pd.read_parquet(out / "data" / "processed" / "acsstudy"
                                                                            / "train.parquet", columns=["y"]))
    sheet = pd.read_parquet(out / "results" / "acsstudy" / "datasheet.parquet")
    dropped = pd.read_parquet(out / "results" / "acsstudy" / "dropped_rows.parquet").set_index("reason").rows
    copies = dropped["test rows identical to a training row (features and label)"]
    assert sheet[sheet.attribute == "all"].eval("train_count + test_count").item() + copies == 2321
    assert acs_files.read_record(tmp_path / "acsstudy.sha256") == {"psam_p01.csv": sha256_file(SAMPLE)}
