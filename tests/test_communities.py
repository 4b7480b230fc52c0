"""Claim C2 statistics: exact richness against enumeration, Monte-Carlo against
exact, estimators against hand answers, evaluability against its definition."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, hypergeom

from community_scaling.communities import (
    chao1, community_summary, expected_richness, first_evaluable_n, heaps_fit,
    richness_monte_carlo, richness_table, sample_coverage,
)
from community_scaling.io import InputError
from community_scaling.claims.c2_more_communities import evaluate as claim_c2
from community_scaling.communities import source_growth
from community_scaling.growth_beyond_sampling import _gains


def brute_force_richness(labels: list, n: int) -> float:
    """Mean distinct non-None labels over every n-subset of rows."""
    subsets = list(itertools.combinations(range(len(labels)), n))
    return sum(len({labels[i] for i in s} - {None}) for s in subsets) / len(subsets)


def zipf_groups(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, 31) ** 1.3
    country = pd.Series(np.array([f"c{i}" for i in range(30)], dtype=object)[rng.choice(30, rows, p=p / p.sum())],
                        dtype="str")
    country[rng.random(rows) < 0.05] = np.nan
    sex = pd.Series(rng.choice(["f", "m"], rows), dtype="str")
    return pd.DataFrame({"country": country, "sex": sex})


# ---------------------------------------------------------------- expected_richness

@pytest.mark.parametrize("counts", [[3, 1, 2], [1, 1, 1, 1, 2], [4, 2]])
def test_expected_richness_equals_enumeration(counts):
    labels = [k for k, size in enumerate(counts) for _ in range(size)]
    N = len(labels)
    exact = expected_richness(counts, np.arange(N + 1))
    brute = [brute_force_richness(labels, n) for n in range(N + 1)]
    np.testing.assert_allclose(exact, brute, rtol=0, atol=1e-12)


def test_expected_richness_with_unrecorded_rows_equals_enumeration():
    labels = [0, 0, 1, None, None, 2]
    exact = expected_richness([2, 1, 1], np.arange(7), population=6)
    np.testing.assert_allclose(exact, [brute_force_richness(labels, n) for n in range(7)], atol=1e-12)


def test_expected_richness_limits():
    sizes = np.arange(0, 51)
    np.testing.assert_allclose(expected_richness(np.ones(50, int), sizes), sizes, atol=1e-9)
    np.testing.assert_allclose(expected_richness([40], sizes[:41]), np.r_[0, np.ones(40)], atol=1e-12)
    assert isinstance(expected_richness([3, 1, 2], 2), float)


def test_expected_richness_stable_at_census_scale():
    # Counts [1, N-1]: the singleton is in the sample with probability n/N, the other always (n >= 2).
    N = 150_000
    sizes = np.array([2, 10, 1_000, 100_000, N])
    np.testing.assert_allclose(expected_richness([1, N - 1], sizes), 1 + sizes / N, rtol=0, atol=1e-9)


# ---------------------------------------------------------------- Monte-Carlo

def test_monte_carlo_mean_within_four_standard_errors_of_exact():
    groups = zipf_groups(5_000)
    counts = groups["country"].value_counts().to_numpy()  # value_counts drops NaN
    sizes = [5, 40, 300, 2_000]
    mc = richness_monte_carlo(groups["country"], sizes, draws=400, seed=3)
    exact = expected_richness(counts, sizes, population=len(groups))
    se = mc["sd"].to_numpy() / np.sqrt(400)
    # + 1/draws: a rare miss (here P ~ 1e-4 at n = 2000) may never occur, giving sd = 0.
    assert np.all(np.abs(mc["mean"].to_numpy() - exact) <= 4 * se + 1 / 400)
    assert (mc["draws"] == 400).all()
    # Nested samples: the gain over the smallest size is never negative.
    assert (mc["gain_q05"] >= 0).all() and mc["gain_q05"].iloc[0] == mc["gain_q95"].iloc[0] == 0


def test_monte_carlo_is_reproducible_and_seed_dependent():
    labels = zipf_groups(2_000)["country"]
    a = richness_monte_carlo(labels, [10, 100], draws=50, seed=1)
    pd.testing.assert_frame_equal(a, richness_monte_carlo(labels, [10, 100], draws=50, seed=1))
    assert not a.equals(richness_monte_carlo(labels, [10, 100], draws=50, seed=2))


def test_richness_table_columns_and_exact_column():
    groups = zipf_groups(3_000)
    table = richness_table(groups, [10, 100, 3_000], draws=50)
    assert list(table["attribute"].unique()) == ["country", "sex"]
    country = table[table["attribute"] == "country"]
    counts = groups["country"].value_counts().to_numpy()
    np.testing.assert_allclose(country["expected"], expected_richness(counts, [10, 100, 3_000], population=3_000))
    assert (country["communities_total"] == len(counts)).all()
    assert (country["unrecorded"] == groups["country"].isna().sum()).all()
    # At n = N the sample is the population: every community, in every draw.
    full = country[country["n"] == 3_000].iloc[0]
    assert full["mc_q05"] == full["mc_q95"] == full["expected"] == len(counts)


# ---------------------------------------------------------------- estimators

def test_chao1_and_coverage_hand_examples():
    # n = 12, S_obs = 6, f1 = 3, f2 = 2 (zeros are unobserved communities).
    counts = [0, 1, 1, 1, 2, 2, 5]
    assert chao1(counts) == pytest.approx(6 + 11 / 12 * 3 * 2 / (2 * 3))
    assert sample_coverage(counts) == pytest.approx(1 - 3 / 12 * (11 * 3) / (11 * 3 + 2 * 2))
    # f2 = 0: n = 7, f1 = 3; coverage uses (n-1)(f1-1) / ((n-1)(f1-1) + 2).
    assert chao1([1, 1, 1, 4]) == pytest.approx(4 + 6 / 7 * 3 * 2 / 2)
    assert sample_coverage([1, 1, 1, 4]) == pytest.approx(1 - 3 / 7 * 12 / 14)


def test_no_singletons_means_full_coverage_and_no_unseen():
    assert sample_coverage([2, 3, 5]) == 1.0
    assert chao1([2, 3, 5]) == 3.0
    assert sample_coverage([1, 5]) == 1.0  # f1 = 1, f2 = 0: A = 0 in Chao & Jost


# ---------------------------------------------------------------- Heaps

def test_heaps_fit_recovers_power_law():
    n = np.geomspace(10, 1e5, 8)
    fit = heaps_fit(np.r_[0, n], np.r_[0, 3.5 * n ** 0.42])  # the (0, 0) point is dropped
    assert fit["K"] == pytest.approx(3.5, rel=1e-9) and fit["beta"] == pytest.approx(0.42, rel=1e-9)
    assert fit["beta_ci_low"] <= 0.42 + 1e-9 and fit["beta_ci_high"] >= 0.42 - 1e-9
    assert fit["r2"] == pytest.approx(1.0) and fit["points"] == 8


def test_heaps_fit_needs_three_sizes():
    with pytest.raises(InputError, match="heaps_fit needs"):
        heaps_fit([0, 10, 100], [0, 2, 3])


# ---------------------------------------------------------------- first_evaluable_n

def test_first_evaluable_n():
    counts = pd.Series({"a": 500, "b": 120, "c": 30})
    N, m, assurance = 1_000, 50, 0.95
    table = first_evaluable_n(counts, m, assurance=assurance, population=N).set_index("community")
    for community in ["a", "b"]:
        k = counts[community]
        n_exp = int(table.loc[community, "n_expected"])
        assert n_exp == math.ceil(Fraction(m * N, k))
        assert n_exp * k >= m * N > (n_exp - 1) * k
        n_ok = int(table.loc[community, "n_assured"])
        assert hypergeom.sf(m - 1, N, k, n_ok) >= assurance > hypergeom.sf(m - 1, N, k, n_ok - 1)
    assert table.loc["a", "share"] == 0.5 and table.loc["a", "population_count"] == 500
    assert np.isnan(table.loc["c", "n_expected"]) and np.isnan(table.loc["c", "n_assured"])


def test_community_summary_full_population_and_sample():
    groups = zipf_groups(4_000)
    full = community_summary(groups, min_count=20)
    row = full.attributes.set_index("attribute").loc["country"]
    counts = groups["country"].value_counts()
    assert row["observed"] == row["communities_total"] == len(counts)
    assert row["chao1"] == pytest.approx(chao1(counts.to_numpy()))
    assert row["sample_n"] == 4_000 and row["unrecorded"] == groups["country"].isna().sum()
    sampled = community_summary(groups, min_count=20, sample_n=200, seed=5)
    row = sampled.attributes.set_index("attribute").loc["country"]
    assert row["sample_n"] == 200 and row["observed"] <= len(counts)
    per = sampled.communities[sampled.communities["attribute"] == "country"]
    assert per["sample_count"].sum() == row["sample_recorded"] and set(per["community"]) == set(counts.index)


# ---------------------------------------------------------------- growth by source, and claim C2

def test_source_growth_counts_known_answers():
    # source a holds x (150) and y (50); source b holds x (150) and z (150); min_count 100
    groups = pd.DataFrame({"g": ["x"] * 150 + ["y"] * 50 + ["x"] * 150 + ["z"] * 150})
    source = pd.Series(["a"] * 200 + ["b"] * 300)
    growth = source_growth(groups, source, 100, order=["a", "b"], draws=20)
    steps = growth.steps[growth.steps.attribute == "g"]
    assert list(steps.communities) == [1, 2] and list(steps.sources) == ["a", "a, b"]
    assert growth.increase.set_index("attribute").increase["g"] == 1  # z arrives with b; y never reaches 100
    either_first = source_growth(groups, source, 100, draws=20)  # a first: 1 -> 2, b first: 2 -> 2
    assert either_first.increase.set_index("attribute").increase["g"] == 0.5
    with pytest.raises(InputError, match=r"growth order \['a'\] must name each value"):
        source_growth(groups, source, 100, order=["a"])


def test_same_kind_gain_is_the_binomial_expectation():
    # S: x 90 and y 90 of 180 rows; the new source: 20 rows, all z; min_count 100
    counts = np.array([[[90, 90, 0], [0, 0, 20]]])
    expected = 2 * binom.sf(9, 20, 0.5)  # x or y reaches 100 when it gets >= 10 of 20 same-kind rows
    assert _gains(counts, np.array([0, 1]), 100)[0] == pytest.approx(0 - expected)  # z (20) reaches nothing
    counts = np.array([[[90, 90, 0], [0, 0, 120]]])  # now z arrives with 120 members
    assert _gains(counts, np.array([0, 1]), 100)[0] == pytest.approx(1 - 2 * binom.sf(-21, 120, 0.5))


def test_claim_c2_can_fail_and_is_not_applicable_without_sources():
    rng = np.random.default_rng(0)
    same = pd.DataFrame({"g": rng.choice(list("abc"), 3000)})
    source = pd.Series(np.repeat(["s1", "s2", "s3"], 1000))
    flat = claim_c2(same, source, min_count=100, draws=50, permutations=50)
    assert flat.verdict == "not supported" and abs(flat.effect) < 0.5 and flat.ci_high < 1, flat.details
    grows = claim_c2(same.assign(g=same.g.where(source != "s3", "d")), source, min_count=100, draws=50,
                     permutations=50)
    assert grows.verdict == "supported" and grows.ci_low > 0, grows.details
    identity = claim_c2(None, None, min_count=100)
    assert identity.verdict == "not applicable" and "sampling identity" in identity.rule


def test_claim_c2_does_not_count_growth_that_sampling_alone_brings():
    """Rare communities (about 40 rows a source) reach 100 only when sources pool: richness grows source by
    source (the old rule's 'supported'), yet as many rows of the same kind would bring them too."""
    rng = np.random.default_rng(4)
    groups = pd.DataFrame({"g": rng.choice(["x", "y", "r1", "r2"], 3 * 380, p=np.array([150, 150, 40, 40]) / 380)})
    source = pd.Series(np.repeat(["s1", "s2", "s3"], 380))
    assert source_growth(groups, source, 100, draws=0).increase.set_index("attribute").increase["g"] >= 1
    claim = claim_c2(groups, source, min_count=100, draws=50, permutations=50)
    assert claim.verdict != "supported" and "permutation p" in claim.details


# ---------------------------------------------------------------- bad input

def test_bad_input_is_named():
    with pytest.raises(InputError, match=r"^n must lie in \[0, 6\]"):
        expected_richness([3, 1, 2], 7)
    with pytest.raises(InputError, match="^counts"):
        expected_richness([3, -1, 2], 2)
    with pytest.raises(InputError, match="groups is empty"):
        richness_table(pd.DataFrame(), [1])
    with pytest.raises(InputError, match="groups is empty"):
        community_summary(pd.DataFrame({"race": pd.Series([], dtype="str")}), 5)
    groups = zipf_groups(100).assign(veteran=pd.Series(np.nan, index=range(100), dtype="str"))
    with pytest.raises(InputError, match="'veteran'.*all missing"):
        richness_table(groups, [10])
    with pytest.raises(InputError, match="'veteran'"):
        community_summary(groups, 5)
    with pytest.raises(InputError, match="^n_grid"):
        richness_table(zipf_groups(100), [10, 101])
    with pytest.raises(InputError, match="^min_count"):
        first_evaluable_n([5, 6], 0)
