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


def test_pooled_label_of_the_others_against_each_group():
    order = [np.array(["b1", "a1", "a2", "c1"])]
    table = rater_growth.pooled_agreement(RATINGS, RATERS, "group", ["A", "B"], [1, 2, 3], order, positive_from=3)
    got = table.set_index(["raters", "group"])
    # A's own raters are left out: the pool is b1 (then c1, who rated nothing), who disagrees with A on both items
    assert got.loc[(1, "A"), "agreement"] == 0 and got.loc[(2, "A"), "items"] == 2 and (3, "A") not in got.index
    assert sorted(table[table.group == "B"].raters) == [1, 2, 3]  # k = 3 is also all of B's others
    # B against a1, then a1 and a2: they disagree with B on both items
    assert got.loc[(1, "B"), "agreement"] == 0 and got.loc[(2, "B"), "agreement"] == 0
    assert got.xs("A", level="group").group_raters_per_item.eq(2.0).all()  # two of A's raters behind each label
    assert got.xs("B", level="group").group_raters_per_item.eq(1.0).all()
    ties = rater_growth.pooled_agreement(RATINGS.assign(label=[5, 1, 1, 1, 5, 5]), RATERS, "group", ["B"], [2],
                                         [np.array(["a1", "a2", "b1", "c1"])], positive_from=3)
    assert ties["items"].tolist() == [0, 0] and ties.agreement.isna().all()  # a1 and a2 (and c1: nothing) tie
    only_all = rater_growth.pooled_agreement(RATINGS, RATERS, "group", ["A"], [9], order)  # more than exist
    assert only_all.raters.tolist() == [2]  # all of A's others, whatever the steps
