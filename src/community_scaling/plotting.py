"""One plotting style for every figure, and saving in the study's formats."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, not windows: notebooks also run headless under papermill
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

MODEL_COLORS = {"logistic_regression": "#1b9e77", "gradient_boosting": "#d95f02"}
TREND_COLORS = {"like aggregate": "#4daf4a", "faster": "#377eb8", "slower": "#ff7f00",
                "plateaued": "#984ea3", "uncertain": "#bdbdbd", "worsening": "#e41a1c"}


def set_style():
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    plt.rcParams.update({"figure.dpi": 100, "axes.titlesize": "medium", "savefig.bbox": "tight"})


def save_figure(fig, stem: Path, formats=("png", "pdf"), dpi: int = 150) -> list[Path]:
    """Save `fig` as stem.<format> for each format; dates are left out so files are reproducible."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        metadata = {"CreationDate": None} if fmt == "pdf" else {"Date": None} if fmt == "svg" else {}
        tmp = path.with_name(f".{path.name}.tmp")
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
        tmp.replace(path)
        written.append(path)
    return written
