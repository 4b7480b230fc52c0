"""Do scaling laws scale? Per-community learning curves on real data.

Each module holds one idea; notebooks in ``notebooks/`` call them in the order
of the argument (ingest, communities, sweep, fits, metrics, values, cost,
claims).
"""

__version__ = "0.1.0"
