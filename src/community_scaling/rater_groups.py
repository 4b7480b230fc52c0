"""Per-group and pooled labels from the standard rater tables (see rater_labels), and a
datasheet of which groups are big enough to evaluate.

A group's label for an item summarises that group's raters of the item only: the
majority for nominal labels (a tie gives no label: NaN), the mean or median for
ordinal ones. Every row says how many raters are behind it (n_raters).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .io import InputError, require_columns

HOW = ("majority", "mean", "median")


def check_ratings(ratings: pd.DataFrame, name: str = "ratings") -> pd.DataFrame:
    """`ratings` itself, or InputError naming the missing column or the non-numeric / missing labels."""
    require_columns(ratings, ["item", "rater", "label"], name)
    label = pd.to_numeric(ratings["label"], errors="coerce")
    if label.isna().any():
        bad = ratings.loc[label.isna(), "label"].unique()[:5]
        raise InputError(f"{name}: column 'label' must be numeric with no missing values; found {list(bad)}")
    return ratings


def with_group(ratings: pd.DataFrame, raters: pd.DataFrame, attribute: str) -> pd.DataFrame:
    """ratings with a `group` column (the rater's `attribute`); raters whose attribute is missing are left out."""
    check_ratings(ratings)
    require_columns(raters, ["rater", attribute], "raters")
    if raters["rater"].duplicated().any():
        raise InputError(f"raters: rater {raters.loc[raters['rater'].duplicated(), 'rater'].iloc[0]!r} appears twice")
    unknown = ~ratings["rater"].isin(raters["rater"])
    if unknown.any():
        raise InputError(f"ratings: {ratings.loc[unknown, 'rater'].nunique()} rater(s) not in raters, "
                         f"e.g. {ratings.loc[unknown, 'rater'].iloc[0]!r}")
    groups = raters.set_index("rater")[attribute]
    return ratings.assign(group=ratings["rater"].map(groups)).dropna(subset=["group"])


def community_column(raters_config: dict) -> str:
    """The raters' column whose values are the communities: `attribute`, or `attribute x intersect_with`
    (the sweep's name for an intersection)."""
    second = raters_config.get("intersect_with")
    return raters_config["attribute"] if not second else f"{raters_config['attribute']} x {second}"


def with_intersection(raters: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """raters with column 'first x second' holding 'a & b' (missing when either is missing), as ingest
    names the sweep's intersections."""
    require_columns(raters, [first, second], "raters")
    if first == second:
        raise InputError(f"raters.intersect_with must name an attribute other than {first!r}")
    both = raters[first].notna() & raters[second].notna()
    combined = (raters[first].astype(str) + " & " + raters[second].astype(str)).where(both)
    return raters.assign(**{f"{first} x {second}": combined})


def _summarise(frame: pd.DataFrame, keys: list[str], how: str) -> pd.DataFrame:
    if how not in HOW:
        raise InputError(f"how must be one of {HOW}, got {how!r}")
    n_raters = frame.groupby(keys, sort=True).size().rename("n_raters")
    if how == "majority":
        votes = frame.groupby([*keys, "label"]).size().rename("votes").reset_index()
        winners = votes[votes["votes"] == votes.groupby(keys)["votes"].transform("max")]
        tied = winners.groupby(keys)["label"].transform("size") > 1
        label = winners.assign(label=winners["label"].mask(tied)).drop_duplicates(keys).set_index(keys)["label"]
    else:
        label = frame.groupby(keys, sort=True)["label"].agg(how)
    return pd.concat([label, n_raters], axis=1).reset_index()[[*keys, "label", "n_raters"]]


def group_labels(ratings: pd.DataFrame, raters: pd.DataFrame, attribute: str, how: str = "majority",
                 min_raters: int = 1) -> pd.DataFrame:
    """Each group's own label per item, from that group's raters of the item.

    how: "majority" (nominal labels; a tie gives NaN), "mean" or "median" (ordinal labels).
    Rows with fewer than `min_raters` raters of the group are left out.
    Returns columns item, group, label, n_raters, one row per (item, group).
    """
    frame = with_group(ratings, raters, attribute)
    labels = _summarise(frame, ["item", "group"], how)
    return labels[labels["n_raters"] >= min_raters].reset_index(drop=True)


def pooled_labels(ratings: pd.DataFrame, how: str = "majority") -> pd.DataFrame:
    """The label of all raters of each item together: columns item, label, n_raters."""
    return _summarise(check_ratings(ratings), ["item"], how)


def evaluable_groups(ratings: pd.DataFrame, raters: pd.DataFrame, attribute: str, min_raters: int = 2,
                     min_items: int = 1) -> pd.DataFrame:
    """Datasheet of the groups of `attribute`: which are big enough to evaluate, and why not.

    A group is evaluable with at least `min_raters` raters who rated something and at least
    `min_items` items each rated by `min_raters` or more of its raters (the items on which a
    group label with that min_raters exists). Raters whose attribute is missing are a row of
    their own (group NaN, never evaluable).
    Returns columns group, n_raters, n_items, evaluable, reason ("" when evaluable), one row per group.
    """
    if min_raters < 1 or min_items < 1:
        raise InputError(f"min_raters and min_items must be at least 1, got {min_raters} and {min_items}")
    frame = with_group(ratings, raters, attribute)
    per_item = frame.groupby(["group", "item"]).size()
    rows = pd.DataFrame({"n_raters": frame.groupby("group")["rater"].nunique(),
                         "n_items": (per_item >= min_raters).groupby(level="group").sum()})
    rows = rows.reindex(sorted(set(raters[attribute].dropna()))).fillna(0).astype(int)
    rows.index.name = "group"
    rows = rows.reset_index()
    few_raters = rows["n_raters"] < min_raters
    few_items = rows["n_items"] < min_items
    rows["evaluable"] = ~(few_raters | few_items)
    rows["reason"] = np.select(
        [few_raters, few_items],
        [rows["n_raters"].map(lambda n: f"too few raters ({n} < {min_raters})"),
         rows["n_items"].map(lambda n: f"too few items with {min_raters}+ raters ({n} < {min_items})")], "")
    missing = ratings["rater"].isin(raters.loc[raters[attribute].isna(), "rater"])
    if missing.any():
        unknown = pd.DataFrame({"group": pd.Series([np.nan], dtype=rows["group"].dtype),  # missing, in its dtype
                                "n_raters": [ratings.loc[missing, "rater"].nunique()], "n_items": [0],
                                "evaluable": [False], "reason": ["attribute missing"]})
        rows = pd.concat([rows, unknown], ignore_index=True)
    return rows


def require_evaluable(sheet: pd.DataFrame, min_items: int) -> list[str]:
    """The evaluable groups of an evaluable_groups sheet; InputError at the first notebook when there is
    none (a later notebook would fail on empty tables), naming raters.min_items and the largest group."""
    groups = sheet[sheet.group.notna()]
    if not groups.evaluable.any():
        largest = groups.nlargest(1, "n_items")
        biggest = (f"; the largest group, {largest.group.iloc[0]!r}, has {int(largest.n_items.iloc[0])} items"
                   if len(largest) else "; the data have no group at all")
        raise InputError(f"no rater group is evaluable under raters.min_items = {min_items}{biggest}: "
                         "lower it or choose another raters.attribute")
    return groups[groups.evaluable].group.astype(str).tolist()


def single_group_reason(groups: list[str], attribute: str, min_items: int) -> str:
    """Why the comparisons BETWEEN groups (cross-group agreement, the shuffle test, C5) are not applicable,
    or "" when at least two groups are evaluable."""
    if len(groups) >= 2:
        return ""
    return (f"only one group of {attribute} ({groups[0]!r}) is evaluable under raters.min_items = {min_items}: "
            "comparing groups needs two")
