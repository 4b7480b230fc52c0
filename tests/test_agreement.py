import numpy as np
import pandas as pd
import pytest

from community_scaling.agreement import (LEVELS, alpha, cross_group_agreement, permutation_test,
                                         within_group_alpha)
from community_scaling.io import InputError

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 coders x 12
# units, values 1-5, NaN = not coded.
CLASSIC = [[1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
           [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
           [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
           [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan]]


def long(matrix, raters=None):
    """(raters x items) reliability data -> ratings table."""
    rows = [(f"u{i}", raters[r] if raters else f"c{r}", value)
            for r, row in enumerate(matrix) for i, value in enumerate(row) if not np.isnan(value)]
    return pd.DataFrame(rows, columns=["item", "rater", "label"])


def test_classic_example_by_hand():
    # Nominal alpha by hand. Unit 12 has one value and is not pairable: n = 40 pairable values,
    # with counts n_1..n_5 = 9, 13, 10, 5, 3. Disagreeing coincidences (each ordered pair of values
    # within a unit of m values weighs 1/(m-1)): unit 2 (2,2,3,2) 3*1*2/3 = 2; unit 6 (1,2,3,4)
    # 12 ordered pairs / 3 = 4; unit 8 (1,1,2,1) 2; every other unit agrees. Total 8.
    # alpha = 1 - (n-1) * 8 / (n^2 - sum n_c^2) = 1 - 39 * 8 / (1600 - 384) = 1 - 312/1216 = 0.7434.
    ratings = long(CLASSIC)
    assert alpha(ratings, "nominal") == pytest.approx(1 - 312 / 1216)
    assert round(alpha(ratings, "nominal"), 3) == 0.743
    # The same paper's published ordinal and interval values.
    assert round(alpha(ratings, "ordinal"), 3) == 0.815
    assert round(alpha(ratings, "interval"), 3) == 0.849


@pytest.mark.parametrize("level", LEVELS)
def test_perfect_agreement_gives_one(level):
    truth = [1, 3, 5, 2, 4, 1, 5]
    assert alpha(long([truth] * 4), level, values=(1, 2, 3, 4, 5)) == pytest.approx(1.0)


def test_undefined_alpha_is_nan_not_an_error():
    assert np.isnan(alpha(long([[1, 1, 1], [1, 1, 1]]), "nominal", values=(0, 1)))  # one value only
    assert np.isnan(alpha(long([[1, np.nan], [np.nan, 0]]), "nominal"))  # no item rated twice


def test_cross_kappa_matches_the_authors_implementation():
    # The test case of google-research/cross-replication-reliability (CrossReplicationReliabilityTest):
    # counts of labels (A, B) per item; expected xRR 0.1818182. By hand: per-item mean X-Y distance
    # 0, 3/6, 2/4, 3/6, 2/4 with weights n_x + n_y = 4, 5, 4, 5, 4, so d_o = 9/22; d_e over all
    # X-Y pairs = (6*5 + 5*5) / (11*10) = 1/2; kappa_x = 1 - 18/22 = 0.1818.
    x = [(0, 2), (0, 3), (2, 0), (3, 0), (1, 1)]
    y = [(0, 2), (1, 1), (1, 1), (1, 1), (2, 0)]
    rows = []
    for group, table in (("X", x), ("Y", y)):
        for item, (a, b) in enumerate(table):
            rows += [(item, f"{group}{k}", 0.0) for k in range(a)]
            rows += [(item, f"{group}{a + k}", 1.0) for k in range(b)]
    ratings = pd.DataFrame(rows, columns=["item", "rater", "label"])
    raters = ratings[["rater"]].drop_duplicates().assign(group=lambda f: f["rater"].str[0])
    table = cross_group_agreement(ratings, raters, "group", "nominal")
    assert list(table.columns) == ["group_a", "group_b", "kappa_x", "normalized_kappa_x", "n_items"]
    assert table["kappa_x"].iloc[0] == pytest.approx(4 / 22) and table["n_items"].iloc[0] == 5


def simulate(rng, n_items=30, per_group=6, effect=False):
    """Binary ratings by two groups of raters; with `effect`, group B sees each item's
    propensity reversed, otherwise the group says nothing about a rater's labels."""
    propensity = rng.uniform(0.1, 0.9, n_items)
    rows = []
    for group in ("A", "B"):
        p = 1 - propensity if (effect and group == "B") else propensity
        for r in range(per_group):
            labels = rng.random(n_items) < p
            rows += [(f"i{i}", f"{group}{r}", float(v)) for i, v in enumerate(labels)]
    ratings = pd.DataFrame(rows, columns=["item", "rater", "label"])
    raters = ratings[["rater"]].drop_duplicates().assign(group=lambda f: f["rater"].str[0])
    return ratings, raters


def test_within_and_cross_tables_on_identical_groups():
    truth = [0, 1, 1, 0, 1, 0]
    ratings = long([truth] * 4, raters=["a1", "a2", "b1", "b2"])
    raters = pd.DataFrame({"rater": ["a1", "a2", "b1", "b2"], "group": ["a", "a", "b", "b"]})
    within = within_group_alpha(ratings, raters, "group", "nominal")
    assert list(within.columns) == ["group", "alpha", "n_raters", "n_items"]
    assert within["alpha"].tolist() == [1.0, 1.0] and within["n_items"].tolist() == [6, 6]
    cross = cross_group_agreement(ratings, raters, "group", "nominal")
    assert cross["kappa_x"].iloc[0] == 1.0 and cross["normalized_kappa_x"].iloc[0] == 1.0


def test_permutation_test_holds_its_level_without_a_group_effect():
    # 40 datasets where the group says nothing: a 5% test should reject about twice (at most ~10%).
    p_values = [permutation_test(*simulate(np.random.default_rng(100 + k)), "group", "nominal",
                                 n_permutations=99, seed=k).p_value for k in range(40)]
    assert sum(p <= 0.05 for p in p_values) <= 4
    assert 0.3 < np.mean(p_values) < 0.7  # roughly uniform


def test_permutation_test_detects_a_planted_group_effect():
    ratings, raters = simulate(np.random.default_rng(7), effect=True)
    result = permutation_test(ratings, raters, "group", "nominal", n_permutations=199, seed=3)
    # A shuffle can redraw the real split (or its mirror image: the statistic ignores group
    # names), so the observed value may tie the largest null draw; the +1 keeps p above 0.
    assert result.observed >= result.null.max() and result.observed > 0.3 > np.quantile(result.null, 0.99)
    assert 1 / 200 <= result.p_value <= 2 / 200
    assert result.groups == ("A", "B") and result.null.shape == (199,)


def test_permutation_test_is_reproducible_and_seeded():
    ratings, raters = simulate(np.random.default_rng(1))
    first = permutation_test(ratings, raters, "group", "ordinal", n_permutations=20, seed=5)
    again = permutation_test(ratings, raters, "group", "ordinal", n_permutations=20, seed=5)
    other = permutation_test(ratings, raters, "group", "ordinal", n_permutations=20, seed=6)
    np.testing.assert_array_equal(first.null, again.null)
    assert not np.array_equal(first.null, other.null)
    assert first.p_value == (1 + np.sum(first.null >= first.observed)) / 21


def test_bad_input_is_named():
    ratings, raters = simulate(np.random.default_rng(2))
    with pytest.raises(InputError, match="level must be one of"):
        alpha(ratings, "ratio-ish")
    with pytest.raises(InputError, match=r"label\(s\) \[1.0\] are not in values"):
        alpha(ratings, "nominal", values=(0,))
    with pytest.raises(InputError, match="needs two groups of 'group' with 7\\+ raters"):
        permutation_test(ratings, raters, "group", "nominal", min_raters=7)
