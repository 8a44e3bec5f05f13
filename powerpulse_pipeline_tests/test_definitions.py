"""A snapshot of the definitions' shape: an accidental change to the asset graph (a key, a
dependency, a partitioning, a pool, a check, a job or a sensor) fails here, on purpose."""

from __future__ import annotations

from dagster import AllPartitionMapping, AssetKey, Definitions

from powerpulse_pipeline.partitions import DUCKDB_POOL

# asset -> (upstream assets, partitioned by, pool, checks)
# What the page and the copy are built from.
_DAY_TABLES = (
    "agent_coaching",
    "agent_metrics",
    "conversation_embeddings",
    "daily_metrics",
    "recurring_issues",
    "topic_metrics",
)
GRAPH = {
    "raw_messages": ((), "chat_files", DUCKDB_POOL, ("all_files_accepted",)),
    "messages": (
        ("raw_messages",),
        "daily",
        DUCKDB_POOL,
        ("no_duplicate_messages", "one_day_per_conversation"),
    ),
    "conversation_facts": (("messages",), "daily", DUCKDB_POOL, ()),
    "score_cache": (("conversation_facts",), "daily", None, ("valid_scores",)),
    "conversations": (
        ("score_cache",),
        "daily",
        DUCKDB_POOL,
        ("matches_messages", "no_duplicate_conversations", "scoring_coverage", "values_in_range"),
    ),
    "daily_metrics": (
        ("conversations",),
        "daily",
        DUCKDB_POOL,
        ("consistent_with_conversations", "values_in_range"),
    ),
    "topic_metrics": (("conversations",), "daily", DUCKDB_POOL, ("values_in_range",)),
    "agent_metrics": (
        ("conversations",),
        "daily",
        DUCKDB_POOL,
        ("consistent_with_conversations",),
    ),
    "agent_coaching": (
        ("conversations",),
        "daily",
        DUCKDB_POOL,
        ("one_to_six_points", "points_backed_by_evidence"),
    ),
    "conversation_embeddings": (("conversations",), "daily", None, ()),
    "recurring_issues": (
        ("conversation_embeddings", "conversations"),
        "daily",
        DUCKDB_POOL,
        ("sizes_match_members",),
    ),
    "dashboard": (
        tuple(sorted((*_DAY_TABLES, "published_warehouse"))),
        None,  # one page over every day, rewritten once per daily run, after the copy
        DUCKDB_POOL,
        (),
    ),
    "published_warehouse": (
        (*_DAY_TABLES,),
        "daily",
        DUCKDB_POOL,
        (),
    ),
}
JOBS = {
    "ingest_files_job": ("raw_messages",),
    "daily_metrics_job": tuple(sorted(set(GRAPH) - {"raw_messages"})),
}
SENSORS = {"inbox_sensor": "ingest_files_job", "touched_days_sensor": "daily_metrics_job"}


def test_the_asset_graph_is_the_documented_one(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    found = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assets_def = defs.get_assets_def(key)
        partitions = node.partitions_def
        found[key.to_user_string()] = (
            tuple(sorted(k.to_user_string() for k in node.parent_keys)),
            getattr(partitions, "name", None) or ("daily" if partitions else None),
            assets_def.op.pool,
            tuple(sorted(k.name for k in assets_def.check_keys)),
        )
    assert found == GRAPH


def test_every_partition_mapping_is_valid(defs: Definitions) -> None:
    """What `dagster definitions validate` checks (the image's build checks it too): a day of
    messages maps to every file of raw_messages, not to a file of the same name."""
    graph = defs.get_repository_def().asset_graph
    graph.validate_partitions()
    mapping = graph.get_partition_mapping(AssetKey("messages"), AssetKey("raw_messages"))
    assert isinstance(mapping, AllPartitionMapping)


def test_jobs_and_sensors(defs: Definitions) -> None:
    for name, assets in JOBS.items():
        job = defs.resolve_job_def(name)
        selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
        assert tuple(sorted(selected)) == assets, name
    sensors = {s.name: s.job_name for s in defs.sensors or []}
    assert sensors == SENSORS
