"""C2 in rater space: groups represented and pooled-label agreement as raters are added, on tiny
tables with known answers."""

import numpy as np
import pandas as pd
import pytest

from community_scaling import rater_growth
from community_scaling.io import InputError

RATERS = pd.DataFrame({"rater": ["a1", "a2", "b1", "c1"], "group": ["A", "A", "B", "C"]})
RATINGS = pd.DataFrame({"item": ["x", "x", "x", "y", "y", "y"], "rater": ["a1", "a2", "b1"] * 2,
                        "label": [5, 4, 1, 1, 2, 5]})  # 1-5: A finds x offensive, B finds y offensive


def test_groups_represented_counts_first_appearances():
    orders = [np.array(["a1", "a2", "b1", "c1"]), np.array(["c1", "b1", "a2", "a1"])]
    curves = rater_growth.groups_represented(RATERS, "group", orders)
    assert curves.tolist() == [[1, 1, 2, 3], [1, 2, 3, 3]]
    drawn = rater_growth.random_orders(RATERS, 3, seed=1)
    assert len(drawn) == 3 and all(sorted(o) == sorted(RATERS.rater) for o in drawn)
    assert [o.tolist() for o in drawn] == [o.tolist() for o in rater_growth.random_orders(RATERS, 3, seed=1)]
    with pytest.raises(InputError, match="orders must be >= 1"):
        rater_growth.random_orders(RATERS, 0)


def test_pooled_label_follows_whoever_was_recruited_first():
    order = [np.array(["b1", "a1", "a2", "c1"])]
    table = rater_growth.pooled_agreement(RATINGS, RATERS, "group", ["A", "B"], [1, 2, 3], order, positive_from=3)
    got = table.set_index(["raters", "group"])
    assert got.loc[(1, "A"), "agreement"] == 0 and got.loc[(1, "B"), "agreement"] == 1  # b1 alone
    assert got.loc[(2, "A"), "items"] == 0 and np.isnan(got.loc[(2, "A"), "agreement"])  # b1 and a1 tie on both
    assert got.loc[(3, "A"), "agreement"] == 1 and got.loc[(3, "B"), "agreement"] == 0  # A's two outvote B
    assert rater_growth.pooled_agreement(RATINGS, RATERS, "group", ["A"], [9], order).empty  # more than exist
