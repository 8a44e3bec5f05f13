"""Entry point for `dagster dev`, `make serve`'s code server and the image (see workspace.yaml).

Every run worker imports this module before it executes a step, so its settings of Dagster's
own behaviour live here, once, whatever launched the run.
"""

import os

from .deployment.instance import EVENT_BATCH_SIZE
from .pipeline import build_definitions

# A worker killed mid-batch loses at most the unwritten events: the days sensor then asks for
# those days again.
os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)

defs = build_definitions()
