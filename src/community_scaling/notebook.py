"""What every notebook does first and last: check parameters, load the study,
know its folders, and save tables and figures with their provenance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import pipeline, plotting, provenance
from .claims import Claim
from .io import InputError, read_parquet, read_parquet_metadata, sha256_file, write_json, write_parquet
from .paths import StudyPaths
from .safe_markdown import Markdown
from .study import Study, check_notebook_parameters, load


@dataclass
class Run:
    """One notebook's run of one study."""

    study: Study
    paths: StudyPaths
    notebook: str

    @property
    def data_sha256(self) -> dict[str, str]:
        """Raw and processed data hashes (empty before ingest has run)."""
        hashes = {}
        for split in ("train", "test"):
            path = self.paths.processed / f"{split}.parquet"
            if path.exists():
                hashes[f"processed/{path.name}"] = sha256_file(path)
                hashes.update(read_parquet_metadata(path).get("raw_sha256", {}))
        return hashes

    def provenance(self) -> dict:
        return {"notebook": self.notebook, "study": self.study.name,
                **provenance.record(self.study.config, self.study.parameter_hash, self.data_sha256)}

    def provenance_markdown(self) -> str:
        """The provenance record as a short list a reader can check against the tables."""
        record = self.provenance()
        code = record["code"]
        return (f"- **Code:** commit `{code['commit']}`{' with uncommitted changes' if code['dirty'] else ''}; "
                f"package source sha256 `{code['source_sha256'][:16]}`\n"
                f"- **Parameters:** {self.study.file.name}, hash `{record['parameter_hash'][:16]}`\n"
                + "".join(f"- **Data:** `{name}` sha256 `{digest[:16]}...`\n"
                          for name, digest in record["data_sha256"].items())
                + "- **Packages:** " + ", ".join(f"{k} {v}" for k, v in record["packages"].items()))

    def show_provenance(self) -> None:
        from IPython.display import display

        display(Markdown(self.provenance_markdown()))

    def save_table(self, frame: pd.DataFrame, name: str) -> Path:
        """A tidy result table, with its provenance inside and beside it."""
        record = self.provenance()
        path = write_parquet(frame, self.paths.table(name), metadata=record)
        write_json(record, path.with_suffix(".provenance.json"))
        return path

    def load_table(self, name: str) -> pd.DataFrame:
        """A result table this notebook declares among its reads (pipeline.py)."""
        pipeline.check_read(self.study["study"]["kind"], self.notebook, name)
        path = self.paths.table(name)
        if not path.exists():
            raise InputError(f"result table {path} does not exist: run the notebook that makes "
                             f"{name!r} first (`make all STUDY={self.study.name}` runs them in order)")
        return read_parquet(path)

    def save_figure(self, fig, name: str, caption: str) -> list[Path]:
        """Save the figure in the study's formats with its caption, and show both in the notebook.

        The figure is shown as the PNG it was saved as: with the Agg backend nothing is drawn
        inline by itself, and the rendered notebook should show what the files hold."""
        import io

        import matplotlib.pyplot as plt
        from IPython.display import Image, display

        figures = self.study["figures"]
        written = plotting.save_figure(fig, self.paths.figure(name), figures["formats"], figures["dpi"])
        plotting.write_caption(self.paths.figure(name), caption, self.notebook, written)
        png = next((p for p in written if p.suffix == ".png"), None)
        if png is None:
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=figures["dpi"])
        display(Image(filename=str(png)) if png else Image(data=buffer.getvalue()),
                metadata={"image/png": {"alt": caption}})  # nbconvert's alternative text
        display(Markdown(f"*Figure `{name}`.* {caption}"))
        plt.close(fig)
        return written

    def save_claims(self, claims: list[Claim]) -> Path:
        frame = pd.DataFrame([c.as_row() for c in claims])
        return self.save_table(frame, f"claims_{self.notebook}")


def start(namespace: dict, notebook: str) -> Run:
    """Validate the papermill parameters in `namespace`, load the study, set the style."""
    params = check_notebook_parameters(namespace)
    study = load(params.get("study", ""), params.get("study_file") or None)
    run = Run(study, StudyPaths(study.name, params.get("output_root") or None).make_dirs(), notebook)
    plotting.set_style()
    return run
