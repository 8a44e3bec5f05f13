"""Entry point for `dagster dev` (see workspace.yaml)."""

from .pipeline import build_definitions

defs = build_definitions()
