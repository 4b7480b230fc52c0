"""Checks of everything a study file names, run before any model is fitted.

The schema in `study` checks types and shapes; these check names and values
against the code (model families and their hyperparameters, scaling-law forms)
and against the data (representation communities and totals), so a typo costs
seconds, not a sweep.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .io import InputError
from .study import Study


def check_models(models: dict[str, dict]) -> None:
    """Build each model family with its hyperparameters and fit it on a tiny frame."""
    from .sweep import build_model

    tiny = pd.DataFrame({"number": np.arange(8.0), "category": pd.Categorical(list("abab" * 2))})
    labels = np.array([0, 1] * 4)
    for name, params in models.items():
        if not isinstance(params, dict):
            raise InputError(f"sweep.models.{name} must be a mapping of hyperparameters, got {params!r}")
        try:
            build_model(name, params, tiny, seed=0).fit(tiny, labels)
        except InputError:
            raise
        except Exception as exc:  # scikit-learn names the bad parameter in its own message
            raise InputError(f"sweep.models.{name} {params}: {type(exc).__name__}: {exc}") from None


def check_forms(forms: list[str]) -> None:
    from .scaling_fits import FORMS

    unknown = [f for f in forms if f not in FORMS]
    if unknown or not forms:
        raise InputError(f"fits.forms {unknown or forms} : known forms are {sorted(FORMS)}")


def check_study(study: Study) -> None:
    """Everything that needs the code but not the data."""
    check_models(study["sweep"]["models"])
    check_forms(study["fits"]["forms"])


def check_data(study: Study, train: pd.DataFrame, evaluable: dict[str, list[str]]) -> None:
    """Everything that needs the processed training split: the representation sweep's
    communities must exist and be evaluable, and its totals must fit the data."""
    representation = study["representation"]
    attribute = representation["attribute"]
    if not attribute:
        return
    counts = train[attribute].value_counts()
    chosen = representation["communities"] or evaluable.get(attribute, [])
    missing = sorted(set(chosen) - set(counts.index))
    if missing:
        raise InputError(f"representation.communities {missing} not found in column {attribute!r}; "
                         f"its communities: {sorted(counts.index)[:20]}")
    not_evaluable = sorted(set(chosen) - set(evaluable.get(attribute, [])))
    if not_evaluable:
        raise InputError(f"representation.communities {not_evaluable} are not evaluable (see the datasheet), so "
                         "their error cannot be measured; choose evaluable ones")
    if not chosen:
        raise InputError(f"representation.attribute {attribute!r} has no evaluable community to vary")
    too_big = [t for t in representation["totals"] if t > len(train)]
    if too_big:
        raise InputError(f"representation.totals {too_big} exceed the {len(train)} training rows")
