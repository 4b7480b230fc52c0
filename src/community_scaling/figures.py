"""The figures a reader takes in at a glance: per-community learning curves beside
the aggregate's, excess error over the aggregate, and the verdict matrix.

Each function takes a tidy table and returns a matplotlib figure; notebooks save it."""

from __future__ import annotations

import math
import re

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter
import pandas as pd

from .plotting import MODEL_COLORS, VERDICT_COLORS

SHORT_MODEL = {"logistic_regression": "LR", "gradient_boosting": "GB"}


def slug(name: str) -> str:
    """A file-name part from an attribute name ("race x sex" -> "race_x_sex")."""
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower()


def _model_color(model: str) -> str:
    return MODEL_COLORS.get(model, "black")


def _band(ax, rows: pd.DataFrame, color: str, **line):
    ax.plot(rows.scale, rows["mean"], color=color, **line)
    if rows.ci_low.notna().any():
        ax.fill_between(rows.scale, rows.ci_low, rows.ci_high, color=color, alpha=0.2, lw=0)


def learning_curve_grid(summary: pd.DataFrame, attribute: str, trends: pd.DataFrame | None = None,
                        metric: str = "error", study: str = "", col_wrap: int = 4):
    """Small multiples: the aggregate's curve first, then one panel per community of `attribute`
    with the aggregate's curve repeated (dashed) for comparison; bands are 95% intervals over seeds.

    `summary` is learning_curves.curve_summary; `trends` (optional) the fits' curves table with
    columns model, attribute, community, trend, whose labels go in the panel titles."""
    aggregate = summary[summary.attribute == "all"]
    own = summary[summary.attribute == attribute]
    if own.empty:
        raise ValueError(f"no evaluable community of {attribute!r} in the summary")
    # Largest communities first: the order a reader expects, and stable between runs.
    order = own.groupby("community").scale.max().sort_values(ascending=False, kind="stable").index.tolist()
    panels = ["all"] + order
    ncols = min(col_wrap, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.1 * ncols, 2.6 * nrows + 0.8), sharex=True, sharey=True,
                             squeeze=False, layout="constrained")
    labels = {}
    if trends is not None:
        chosen = trends[trends.attribute == attribute]
        for community, rows in chosen.groupby("community"):
            labels[community] = ", ".join(f"{SHORT_MODEL.get(r.model, r.model)} {r.trend}" for r in rows.itertuples())
    positive = (summary["mean"] > 0).all()
    for ax, community in zip(axes.flat, panels):
        for model, rows in aggregate.groupby("model"):
            style = dict(lw=2, marker="o", ms=3) if community == "all" else dict(lw=1, ls="--", alpha=0.8)
            _band(ax, rows.sort_values("scale"), _model_color(model), label=f"{model} (all people)", **style)
        if community != "all":
            for model, rows in own[own.community == community].groupby("model"):
                _band(ax, rows.sort_values("scale"), _model_color(model), lw=2, marker="o", ms=3, label=model)
        title = "all people (aggregate)" if community == "all" else community
        ax.set_title(title if community not in labels else f"{title}\n{labels[community]}", fontsize=8)
        ax.set(xscale="log", yscale="log" if positive else "linear")
        ax.xaxis.set_minor_formatter(NullFormatter())  # decades only: minor labels collide in small panels
        ax.yaxis.set_minor_formatter(NullFormatter())
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("training-set size n")
    for ax in axes[:, 0]:
        ax.set_ylabel(f"test {metric}")
    handles = [plt.Line2D([], [], color=_model_color(m), lw=2, label=m) for m in sorted(summary.model.unique())]
    handles.append(plt.Line2D([], [], color="grey", lw=1, ls="--", label="aggregate (all people)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8)
    fig.suptitle(f"{study}: {metric} by {attribute}, each community beside the aggregate")
    return fig


def excess_forest(table: pd.DataFrame, metric: str = "error", study: str = ""):
    """Per model, each community's excess over the aggregate at its largest size (dot, 95% interval
    over seeds) and at its smallest (open circle), communities grouped by attribute.

    `table` is learning_curves.largest_and_smallest."""
    models = sorted(table.model.unique())
    rows_per_model = table.groupby("model").size().max()
    fig, axes = plt.subplots(1, len(models), figsize=(5.2 * len(models), 0.24 * rows_per_model + 1.6),
                             sharey=True, squeeze=False, layout="constrained")
    order = table[["attribute", "community"]].drop_duplicates().sort_values(["attribute", "community"])
    position = {tuple(k): i for i, k in enumerate(order.itertuples(index=False))}
    for ax, model in zip(axes.flat, models):
        rows = table[table.model == model]
        y = np.array([position[(r.attribute, r.community)] for r in rows.itertuples()])
        ax.axvline(0, color="black", lw=0.8)
        ax.hlines(y, rows.mean_small, rows.mean_large, color="lightgrey", lw=1)
        ax.scatter(rows.mean_small, y, facecolors="none", edgecolors="grey", s=18, label="smallest n")
        ax.errorbar(rows.mean_large, y, xerr=[rows.mean_large - rows.ci_low, rows.ci_high - rows.mean_large],
                    fmt="o", ms=4, color=_model_color(model), ecolor=_model_color(model), elinewidth=1,
                    label="largest n (95% interval)")
        ax.set(title=model, xlabel=f"{metric}: community minus aggregate")
        ax.set_yticks(range(len(order)), [f"{a}: {c}" for a, c in order.itertuples(index=False)], fontsize=7)
    axes.flat[0].invert_yaxis()
    axes.flat[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"{study}: excess {metric} over the aggregate (right of 0: worse served)")
    return fig


def verdict_matrix(ledger: pd.DataFrame):
    """Claims (rows) x studies (columns), each cell coloured by verdict and showing the effect
    with its 95% interval. `ledger` has columns study, claim, verdict, effect, ci_low, ci_high."""
    claims = sorted(ledger.claim.unique())
    studies = list(dict.fromkeys(ledger.study))
    fig, ax = plt.subplots(figsize=(1.2 + 3.6 * len(studies), 0.6 * len(claims) + 1.2), layout="constrained")
    cells = ledger.set_index(["claim", "study"])
    for i, claim in enumerate(claims):
        for j, study in enumerate(studies):
            if (claim, study) not in cells.index:
                ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor="white", edgecolor="grey"))
                ax.text(j + 0.5, i + 0.5, "not tested", ha="center", va="center", fontsize=8, color="grey")
                continue
            row = cells.loc[(claim, study)]
            ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor=VERDICT_COLORS[row.verdict], edgecolor="grey"))
            fragile = " (fragile)" if bool(row.get("fragile", False)) else ""
            numbers = ("" if row.verdict == "not applicable" or np.isnan(row.effect) and np.isnan(row.ci_low)
                       else f"\n{row.effect:.3g} [{row.ci_low:.3g}, {row.ci_high:.3g}]")
            ax.text(j + 0.5, i + 0.5, f"{row.verdict}{fragile}{numbers}", ha="center", va="center", fontsize=9)
    ax.set(xlim=(0, len(studies)), ylim=(len(claims), 0))
    ax.set_xticks(np.arange(len(studies)) + 0.5, studies)
    ax.set_yticks(np.arange(len(claims)) + 0.5, claims)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="grey", label=v) for v, c in VERDICT_COLORS.items()]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8)
    return fig

