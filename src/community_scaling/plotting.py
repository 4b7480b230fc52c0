"""One plotting style for every figure, and saving in the study's formats with a caption."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, not windows: notebooks also run headless under papermill
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

MODEL_COLORS = {"logistic_regression": "#1b9e77", "gradient_boosting": "#d95f02"}
TREND_COLORS = {"like aggregate": "#4daf4a", "faster": "#377eb8", "slower": "#ff7f00",
                "plateaued": "#984ea3", "uncertain": "#bdbdbd", "worsening": "#e41a1c"}
VERDICT_COLORS = {"supported": "#d9f0d3", "not supported": "#fddbc7", "inconclusive": "#f0f0f0",
                  "not applicable": "#ffffff"}


def set_style():
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    plt.rcParams.update({"figure.dpi": 100, "axes.titlesize": "medium", "savefig.bbox": "tight"})


def colours(n: int) -> list:
    """n distinct colours: the style's palette (colour-blind safe, 10 colours) while it suffices, evenly
    spaced hues beyond (zipping more lines than colours with the palette would silently drop lines)."""
    return sns.color_palette(n_colors=n) if n <= 10 else sns.color_palette("husl", n)


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


def caption_path(stem: Path) -> Path:
    """Where a figure's caption lives: beside its files, read by the site builder."""
    stem = Path(stem)
    return stem.with_name(f"{stem.name}.caption.json")


def write_caption(stem: Path, caption: str, notebook: str, files: list[Path]) -> Path:
    """Record what to look at in the figure, which notebook drew it, and its files."""
    if not caption.strip():
        raise ValueError(f"figure {Path(stem).name} needs a caption saying what to look at")
    record = {"figure": Path(stem).name, "caption": caption.strip(), "notebook": notebook,
              "files": [p.name for p in files]}
    path = caption_path(stem)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(path)
    return path
