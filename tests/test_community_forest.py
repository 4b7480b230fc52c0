"""The community forest plot: drawn from a small table, sorted by estimate, flagged communities marked."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from community_scaling import community_forest


def _table() -> pd.DataFrame:
    return pd.DataFrame({"panel": ["m1"] * 3 + ["m2"] * 2, "community": ["c", "a", "b", "x", "y"],
                         "estimate": [0.3, 0.1, 0.2, -0.5, -0.9], "ci_low": [0.2, 0.0, 0.1, -0.7, -1.0],
                         "ci_high": [0.4, 0.2, 0.3, -0.3, -0.8], "aggregate": [0.25] * 3 + [-0.6] * 2,
                         "aggregate_low": [float("nan")] * 3 + [-0.7] * 2,
                         "aggregate_high": [float("nan")] * 3 + [-0.5] * 2,
                         "flagged": [False, True, False, False, True]})


def test_panels_are_sorted_by_estimate():
    panels = community_forest.sorted_panels(_table())
    assert list(panels) == ["m1", "m2"]
    assert panels["m1"].community.tolist() == ["a", "b", "c"] and panels["m2"].community.tolist() == ["y", "x"]


def test_the_figure_marks_the_flagged_communities_and_writes_its_files(tmp_path):
    fig = community_forest.forest(_table(), "exponent c")
    first = fig.axes[0]
    assert [t.get_text() for t in first.get_yticklabels()] == ["a", "b", "c"]
    # one cross per flagged community, drawn at its estimate
    crosses = [c for c in first.collections if c.get_gid() == "flagged"]
    assert len(crosses) == 1 and crosses[0].get_offsets().tolist() == [[0.1, 0.0]]
    assert first.get_title() == "m1: 1 of 3 flagged"
    plt.close(fig)

    caption = community_forest.save(_table(), tmp_path / "community_forest", "exponent c", "Look at red.", "04")
    assert (tmp_path / "community_forest.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads(caption.read_text())["caption"] == "Look at red."


def test_an_empty_table_is_an_error():
    with pytest.raises(ValueError, match="no community"):
        community_forest.forest(_table().iloc[:0], "exponent c")


def test_flags_come_from_c3s_classify():
    from community_scaling.claims.c3_communities_left_behind import classify

    exponents = pd.DataFrame({"model": "m", "attribute": "race", "community": ["p", "q"], "c": [0.1, 0.5],
                              "c_ci_low": [0.05, 0.4], "c_ci_high": [0.15, 0.6], "c_aggregate": 0.5,
                              "gap": [0.4, 0.0], "gap_se": [0.05, 0.05], "p_slower": [1e-9, 0.5],
                              "gain": 0.01, "gain_ci_high": 0.02, "reason": ""})
    table = community_forest.from_exponents(exponents, 0.001, 0.1)
    status = classify(exponents, 0.001, 0.1).status
    assert table.flagged.tolist() == (status == "slower").tolist() == [True, False]
    assert table.community.tolist() == ["race: p", "race: q"]
