"""Entry point for `dagster dev`, `make serve`'s code server and the image (see workspace.yaml).

Every run worker imports this module before it executes a step, so its settings of Dagster's
own behaviour live here, once, whatever launched the run.
"""

import os

from .pipeline import build_definitions

# A run's materialization events (one per asset and day) are written in batches of this many,
# one insert each, where the storage can (PostgreSQL; SQLite stores them one by one either
# way). On the million-message path it took Dagster's share on PostgreSQL from 19.8 s to
# 1.7 s (benchmarks/scale.py --compare). A worker killed mid-batch loses at most the
# unwritten events: the days sensor then asks for those days again.
EVENT_BATCH_SIZE = "100"
os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)

defs = build_definitions()
