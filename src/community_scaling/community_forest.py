"""Communities in one picture: each community's scaling (exponent or gain per tenfold, with its
interval) beside its aggregate's, sorted, with the communities C3's rule flags as left behind marked.

Drawn by the site builder from tables the notebooks already wrote (community_exponents for a sweep
or rater study; slopes, lags and evaluations for published results); the flags come from the C3
rule's own functions at the study's settings, never from a rule of this module.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .plotting import caption_path, save_figure, write_caption

COLUMNS = ["panel", "community", "estimate", "ci_low", "ci_high", "aggregate", "aggregate_low", "aggregate_high",
           "flagged"]
FLAG_COLOR, PLAIN_COLOR = "#d62728", "#4c72b0"


def from_exponents(exponents: pd.DataFrame, floor_gain: float, exponent_margin: float) -> pd.DataFrame:
    """A forest table (COLUMNS) from a community_exponents table: exponent c per community and model,
    flagged when C3's classify calls it 'slower'. The aggregate's exponent has no interval there (NaN)."""
    from .claims.c3_communities_left_behind import classify

    rows = classify(exponents, floor_gain, exponent_margin)
    return pd.DataFrame({"panel": rows.model.astype(str), "community": rows.attribute + ": " + rows.community,
                         "estimate": rows.c, "ci_low": rows.c_ci_low, "ci_high": rows.c_ci_high,
                         "aggregate": rows.c_aggregate, "aggregate_low": math.nan, "aggregate_high": math.nan,
                         "flagged": rows.status == "slower"}).reset_index(drop=True)


def from_slopes(slopes: pd.DataFrame, lags: pd.DataFrame, evaluations: pd.DataFrame, margin: float) -> pd.DataFrame:
    """A forest table (COLUMNS) from model_size slopes (badness per tenfold of parameters; the
    aggregate is community 'all'), for the families C3 tests, flagged when spread.left_behind shows
    the community left behind at one-sided (1 - LEVEL) / 2 at `margin`."""
    from . import model_size, spread
    from .claims._record import LEVEL

    family = ["model", "attribute", "metric"]
    behind = spread.left_behind(lags, slopes, model_size.aggregate_weights(evaluations), margin)
    if behind.empty:
        return pd.DataFrame(columns=COLUMNS)
    flagged = behind[behind.p_left_behind <= (1 - LEVEL) / 2][family + ["community"]].assign(flagged=True)
    usable = slopes[slopes.reason.fillna("") == ""]
    aggregate = usable[usable.community == "all"][family + ["slope_per_tenfold", "ci_low", "ci_high"]].rename(
        columns={"slope_per_tenfold": "aggregate", "ci_low": "aggregate_low", "ci_high": "aggregate_high"})
    tested = behind[family].drop_duplicates()
    rows = (usable[usable.community != "all"].merge(tested, on=family).merge(aggregate, on=family)
            .merge(flagged, on=family + ["community"], how="left"))
    return pd.DataFrame({"panel": rows.model + " " + rows.attribute + " (" + rows.metric + ")",
                         "community": rows.community, "estimate": rows.slope_per_tenfold, "ci_low": rows.ci_low,
                         "ci_high": rows.ci_high, "aggregate": rows["aggregate"], "aggregate_low": rows.aggregate_low,
                         "aggregate_high": rows.aggregate_high,
                         "flagged": rows.flagged.astype("boolean").fillna(False).astype(bool)})


def sorted_panels(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each panel's rows sorted by estimate (smallest at the top of the plot), panels in name order."""
    return {name: rows.sort_values(["estimate", "community"], kind="stable").reset_index(drop=True)
            for name, rows in table.groupby("panel", sort=True)}


def forest(table: pd.DataFrame, quantity: str, title: str = "", col_wrap: int = 3):
    """Small multiples, one per panel: each community's estimate with its interval (flagged ones in red,
    with a cross), the aggregate's as a vertical line with its interval shaded where the table has one."""
    panels = sorted_panels(table)
    if not panels:
        raise ValueError("no community to draw")
    ncols = min(col_wrap, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    tallest = max(len(rows) for rows in panels.values())
    label = max(len(str(c)) for c in table.community)  # long labels ("race x sex: ...") need wider panels
    fig, axes = plt.subplots(nrows, ncols, figsize=((3.0 + 0.07 * label) * ncols, (0.22 * tallest + 1.0) * nrows + 0.8),
                             squeeze=False, layout="constrained")
    for ax, (name, rows) in zip(axes.flat, panels.items()):
        y = np.arange(len(rows))
        colors = np.where(rows.flagged, FLAG_COLOR, PLAIN_COLOR)
        ax.hlines(y, rows.ci_low, rows.ci_high, colors=colors, lw=1.2)
        ax.scatter(rows.estimate, y, c=colors, s=[36 if f else 16 for f in rows.flagged],
                   marker="o", zorder=3)
        ax.scatter(rows.estimate[rows.flagged], y[rows.flagged], marker="x", color="black", s=22, zorder=4,
                   gid="flagged")
        first = rows.iloc[0]  # one aggregate per panel ("aggregate" is also a method of a row: index it)
        ax.axvline(first["aggregate"], color="black", ls="--", lw=1)
        if np.isfinite(first["aggregate_low"]) and np.isfinite(first["aggregate_high"]):
            ax.axvspan(first["aggregate_low"], first["aggregate_high"], color="grey", alpha=0.2, lw=0)
        ax.set_yticks(y, rows.community, fontsize=7)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_title(f"{name}: {int(rows.flagged.sum())} of {len(rows)} flagged", fontsize=8)
        ax.set_xlabel(quantity, fontsize=8)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color=PLAIN_COLOR, marker="o", label="community (95% interval)"),
               plt.Line2D([], [], color=FLAG_COLOR, marker="o", label="flagged left behind by C3's rule"),
               plt.Line2D([], [], color="black", ls="--", label="aggregate")]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8)
    fig.suptitle(title)
    return fig


def save(table: pd.DataFrame, stem, quantity: str, caption: str, notebook: str, title: str = ""):
    """Draw, save as PNG and PDF and write the caption beside it; the caption file's path."""
    fig = forest(table, quantity, title)
    files = save_figure(fig, stem, ("png", "pdf"), dpi=110)
    plt.close(fig)
    write_caption(stem, caption, notebook, files)
    return caption_path(stem)
