"""Per-agent coaching from the quality reviews: points backed by the agent's conversations."""
