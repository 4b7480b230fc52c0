"""Local worker processes that do not outlive their work.

joblib's loky workers wait 300 s for more work before they exit, so the workers
of a killed run stayed about five minutes. Every parallel step of the package
runs through `parallel`, whose idle workers exit after IDLE_SECONDS.
"""

from __future__ import annotations

from joblib import Parallel

IDLE_SECONDS = 10


def parallel(n_jobs: int, **options) -> Parallel:
    """joblib.Parallel over `n_jobs` local (loky) processes whose idle workers exit after
    IDLE_SECONDS; n_jobs=1 runs in this process. `options` go to Parallel (batch_size, return_as)."""
    return Parallel(n_jobs=n_jobs, backend="loky", idle_worker_timeout=IDLE_SECONDS, **options)
