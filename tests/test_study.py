import pytest
import yaml

from community_scaling import paths, study
from community_scaling.io import InputError


def test_default_studies_are_valid():
    for file in paths.PARAMS_DIR.glob("*.yaml"):
        loaded = study.load(file.stem)
        assert loaded.name == file.stem
        assert loaded.attributes


def test_defaults_fill_missing_sections(write_study):
    loaded = study.load("x", write_study({"data": {"communities": ["race"]}}))
    assert loaded["sweep"]["seeds"] == 5
    assert loaded["values"]["profiles"]["symmetric"] == {"cost_fp": 1, "cost_fn": 1}


@pytest.mark.parametrize("config, message", [
    ({"sweep": {"sizs": [1, 2]}}, r"unknown parameter sweep.sizs \(did you mean 'sizes'\?\)"),
    ({"sweeep": {}}, r"unknown section 'sweeep' \(did you mean 'sweep'\?\)"),
    ({"sweep": {"seeds": "five"}}, r"sweep.seeds must be int, got str 'five'"),
    ({"sweep": {"seeds": True}}, r"sweep.seeds must be int, got a boolean"),
    ({"sweep": {"sizes": [0, 10]}}, r"sweep.sizes must be positive"),
    ({"sweep": {"sizes": [10, 5]}}, r"sweep.sizes must be strictly increasing"),
    ({"sweep": {"sizes": [10, -5]}}, r"sweep.sizes must be positive"),
    ({"sweep": {"seeds": 1}}, r"intervals \(fits.bootstrap > 0\) need at least 2 seeds"),
    ({"sweep": {"models": {"logistic_regresion": {}}}}, r"did you mean 'logistic_regression'"),
    ({"sweep": {"backend": "dask"}}, r"needs sweep.scheduler_address"),
    ({"data": {"source": "file"}}, r"data.path is required"),
    ({"data": {"intersections": [["race", "nope"]]}}, r"names \['nope'\], which is not in data.communities"),
    ({"values": {"profiles": {"p": {"cost_fp": -1, "cost_fn": 1}}}}, r"costs must be non-negative"),
    ({"data": {"test_fraction": 1.5}}, r"data.test_fraction must be between 0 and 1"),
])
def test_bad_study_files_name_the_culprit(write_study, config, message):
    with pytest.raises(InputError, match=message):
        study.load("x", write_study(config))


def test_all_problems_reported_at_once(write_study):
    with pytest.raises(InputError) as info:
        study.load("x", write_study({"sweep": {"sizs": [1], "seeds": "a"}}))
    assert "sizs" in str(info.value) and "seeds" in str(info.value)


def test_missing_study_file_lists_studies():
    with pytest.raises(InputError, match=r"no study file for study 'censsu'.*did you mean 'census'"):
        study.load("censsu")


def test_invalid_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("sweep: [unclosed")
    with pytest.raises(InputError, match="not valid YAML"):
        study.load("bad", bad)


def test_sizes_expand_and_check():
    loaded = study.load("census")
    assert loaded.sizes(5000) == [128, 256, 512, 1024, 2048, 4096, 5000]
    with pytest.raises(InputError, match=r"4 sizes \[128, 256, 512, 1000\].*fits.holdout_sizes = 2"):
        loaded.sizes(1000)  # too few sizes to fit and check extrapolation
    smoke = study.load("smoke")
    assert smoke.sizes(4000)[-1] == 4000
    with pytest.raises(InputError, match=r"sweep.sizes: \[2048\] larger than the 1500 training rows"):
        smoke.sizes(1500)


def test_notebook_parameters_reject_unknown_names():
    ok = study.check_notebook_parameters({"study": "census", "output_root": "", "print": print})
    assert ok == {"study": "census", "output_root": ""}
    with pytest.raises(InputError, match=r"'stduy' \(did you mean 'study'\?\)"):
        study.check_notebook_parameters({"study": "census", "stduy": "x"})
    with pytest.raises(InputError, match="study must be a string, got int"):
        study.check_notebook_parameters({"study": 3})


def test_section_stamps_rewritten_only_on_change(tmp_path, write_study):
    file = write_study({"figures": {"dpi": 100}})
    folder = tmp_path / "stamps"
    study.write_section_stamps(study.load("x", file), folder)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    file.write_text(yaml.safe_dump({"figures": {"dpi": 120}}))
    study.write_section_stamps(study.load("x", file), folder)
    after = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"figures.json"}
    assert study.load("x", file).parameter_hash != study.load("census").parameter_hash


# ---- study files are untrusted input ----

EXPLOIT = "(age >= 18) & (@pd.io.common.os.system('id > pwned') == 0)"


@pytest.mark.parametrize("config, message", [
    ({"data": {"population": EXPLOIT}}, r"data.population .* uses '@' \(a reference to a Python name\)"),
    ({"data": {"alternative_outcomes": {"x": "__import__('os').system('id') == 0"}}},
     r"data.alternative_outcomes.x .* uses a function call"),
    ({"data": {"population": "age.__class__ is None"}}, r"uses an attribute \(.__class__\)"),
    ({"data": {"positive_label": True}}, r"positive_label was read as the boolean True.*quote the label"),
    ({"sweep": {"n_jobs": 1000}}, r"sweep.n_jobs must be between 1 and 64"),
    ({"fits": {"metric": "eror"}}, r"fits.metric 'eror' is not a metric \(did you mean 'error'\?\)"),
])
def test_unsafe_or_silent_study_values_are_named(write_study, config, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=message):
        study.load("x", write_study(config))
    assert not (tmp_path / "pwned").exists()


def test_unquoted_yes_in_yaml_is_explained(tmp_path):
    file = tmp_path / "x.yaml"
    file.write_text("data:\n  positive_label: yes\n")
    with pytest.raises(InputError, match="read as the boolean True"):
        study.load("x", file)


@pytest.mark.parametrize("text, message", [
    ("sweep:\n  seeds: 3\nfigures:\n  dpi: 80\nsweep:\n  seeds: 5\n", r"key 'sweep' appears twice \(first on line 1, again on line 5\)"),
    ("sweep:\n  seeds: 3\n  seeds: 4\n", r"key 'seeds' appears twice"),
])
def test_duplicate_yaml_keys_are_rejected(tmp_path, text, message):
    file = tmp_path / "dup.yaml"
    file.write_text(text)
    with pytest.raises(InputError, match=message):
        study.load("dup", file)


@pytest.mark.parametrize("name", ["../src", "", "a b", "x/y", ".hidden", "..", "a" * 65, "census;rm"])
def test_unsafe_study_names_are_refused(name, write_study):
    from community_scaling.paths import StudyPaths

    with pytest.raises(InputError, match="study|not allowed"):
        study.load(name, write_study({}))
    with pytest.raises(InputError, match="not allowed"):
        StudyPaths(name)


@pytest.mark.parametrize("models, message", [
    ({"logistic_regression": {"C": -1}}, r"sweep.models.logistic_regression \{'C': -1\}: .*'C' parameter"),
    ({"gradient_boosting": {"max_iterr": 3}}, r"unexpected keyword argument 'max_iterr'"),
    ({"gradient_boosting": {"max_iter": 0}}, r"'max_iter' parameter"),
])
def test_model_hyperparameters_checked_before_the_sweep(write_study, models, message):
    from community_scaling import preflight

    loaded = study.load("x", write_study({"sweep": {"models": models}}))
    with pytest.raises(InputError, match=message):
        preflight.check_study(loaded)
    # the Make validation step runs the same check and exits with the message
    with pytest.raises(SystemExit, match=message):
        study.main(["x", "--study-file", str(loaded.file)])


def test_unknown_form_checked_before_the_sweep(write_study):
    from community_scaling import preflight

    loaded = study.load("x", write_study({"fits": {"forms": ["power_law_flor"]}}))
    with pytest.raises(InputError, match=r"fits.forms \['power_law_flor'\]"):
        preflight.check_study(loaded)


def test_validation_lists_the_input_files(tmp_path, write_study):
    data = tmp_path / "mine.csv"
    data.write_text("a,label\n1,yes\n")
    file = write_study({"data": {"source": "file", "path": str(data), "target": "label", "positive_label": "yes",
                                 "communities": ["a"], "population": None}})
    study.main(["x", "--study-file", str(file), "--stamps", str(tmp_path / "stamps")])
    assert (tmp_path / "stamps" / "input_files.txt").read_text() == f"{data}\n"


def test_a_published_results_study_reads_only_its_sections(write_study):
    from community_scaling.study import load

    ok = write_study({"study": {"kind": "published_results"}, "published": {"source": "pythia_crows_pairs"}})
    assert load("tmpstudy", ok)["published"]["min_sizes"] == 4
    mixed = write_study({"study": {"kind": "published_results"}, "sweep": {"seeds": 3}})
    with pytest.raises(InputError, match="section 'sweep' is not read by a study of kind 'published_results'"):
        load("tmpstudy", mixed)
    bad = write_study({"study": {"kind": "published"}})
    with pytest.raises(InputError, match="study.kind must be one of"):
        load("tmpstudy", bad)
    source = write_study({"study": {"kind": "published_results"}, "published": {"source": "flores"}})
    with pytest.raises(InputError, match="published.source must be one of"):
        load("tmpstudy", source)
