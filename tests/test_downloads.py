import functools
import http.server
import shutil
import threading

import pytest

from community_scaling import downloads
from community_scaling.io import InputError, sha256_file
from conftest import SHARED_DATA

NAME = "epic/Boomer_validation_set.csv"
pytestmark = pytest.mark.skipif(not (SHARED_DATA / NAME).exists(), reason="needs ../shared/data mirrors")


@pytest.fixture
def mirror_server():
    """Serve ../shared/data on loopback, standing in for the canonical host."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SHARED_DATA))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def test_every_registered_file_matches_its_mirror():
    for name, (_, digest) in downloads.REGISTRY.items():
        assert downloads.fetch(name) == SHARED_DATA / name  # found by hash, nothing downloaded
        assert sha256_file(SHARED_DATA / name) == digest


def test_environment_variable_moves_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMUNITY_SCALING_DATA", str(tmp_path))
    (tmp_path / "epic").mkdir()
    shutil.copy(SHARED_DATA / NAME, tmp_path / NAME)
    assert downloads.fetch(NAME) == tmp_path / NAME


def test_corrupt_copy_is_detected_and_fetched_again(tmp_path, monkeypatch, mirror_server, caplog):
    url, digest = downloads.REGISTRY[NAME]
    monkeypatch.setitem(downloads.REGISTRY, NAME, (mirror_server + NAME, digest))
    (tmp_path / "epic").mkdir()
    truncated = (SHARED_DATA / NAME).read_bytes()[:1000]
    (tmp_path / NAME).write_bytes(truncated)
    path = downloads.fetch(NAME, cache=tmp_path)
    assert sha256_file(path) == digest
    assert "does not match the expected" in caplog.text


def test_download_with_wrong_content_is_rejected(tmp_path, monkeypatch, mirror_server):
    monkeypatch.setitem(downloads.REGISTRY, NAME, (mirror_server + "epic/GenZ_validation_set.csv",
                                                   downloads.REGISTRY[NAME][1]))
    with pytest.raises(InputError, match=f"{NAME}: the file downloaded from .* does not match sha256"):
        downloads.fetch(NAME, cache=tmp_path)
    assert not (tmp_path / NAME).exists()


def test_offline_error_names_file_url_and_place(tmp_path, monkeypatch):
    digest = downloads.REGISTRY[NAME][1]
    monkeypatch.setitem(downloads.REGISTRY, NAME, ("http://127.0.0.1:9/" + NAME, digest))  # nothing listens on port 9
    with pytest.raises(InputError) as info:
        downloads.fetch(NAME, cache=tmp_path, timeout=5)
    message = str(info.value)
    assert NAME in message and "http://127.0.0.1:9/" in message
    assert str(tmp_path / NAME) in message and digest in message and "COMMUNITY_SCALING_DATA" in message


def test_unknown_name():
    with pytest.raises(InputError, match="no registered download 'nope.csv'"):
        downloads.fetch("nope.csv")


def test_make_all_names_a_study_whose_data_cannot_be_had(tmp_path, monkeypatch):
    """Offline with an empty cache, a published study is recorded as unavailable (file, URL, sha256)."""
    import pooch

    from community_scaling import build_all, report

    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setenv("COMMUNITY_SCALING_DATA", str(tmp_path / "empty"))
    monkeypatch.setattr(pooch, "retrieve", offline)
    missing = build_all.missing_data("bloom_flores")
    assert len(missing) == 4 and all(m["url"].startswith("https://raw.githubusercontent.com/") for m in missing)
    assert build_all.missing_data("census") == []
    build_all.write_unavailable(tmp_path, {"bloom_flores": missing})
    assert report.unavailable_studies(tmp_path)["bloom_flores"][0]["sha256"] == missing[0]["sha256"]


def test_make_all_refuses_an_unknown_study_before_building_any(tmp_path, capsys):
    from community_scaling import build_all

    with pytest.raises(SystemExit, match="study 'nope' cannot be built: no study file"):
        build_all.main(["census", "nope", "--output-root", str(tmp_path), "--make", "false"])
    assert not (tmp_path / "results").exists()  # census was not started
