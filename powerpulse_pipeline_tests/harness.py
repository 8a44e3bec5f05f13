"""Drives the real sensors and executes the runs they request on a real Dagster instance."""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster import DagsterInstance, Definitions, RunRequest, build_sensor_context

from powerpulse_pipeline.pipeline import DAILY_JOB, INGEST_JOB


@dataclass
class SensorDriver:
    defs: Definitions
    instance: DagsterInstance
    cursors: dict[str, str | None] = field(default_factory=dict)
    runs: list[tuple[str, RunRequest]] = field(default_factory=list)
    skip_reasons: dict[str, str | None] = field(default_factory=dict)

    def tick(self, sensor_name: str) -> list[RunRequest]:
        """Evaluate one tick, apply its partition requests, keep its cursor."""
        sensor = self.defs.get_sensor_def(sensor_name)
        context = build_sensor_context(
            instance=self.instance,
            cursor=self.cursors.get(sensor_name),
            definitions=self.defs,
        )
        data = sensor.evaluate_tick(context)
        for request in data.dynamic_partitions_requests or []:
            self.instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys or [])
            )
        for event in data.asset_events or []:  # as the daemon stores them
            self.instance.report_runless_asset_event(event)
        self.cursors[sensor_name] = data.cursor
        self.skip_reasons[sensor_name] = data.skip_message
        return list(data.run_requests or [])

    def execute(self, job_name: str, requests: list[RunRequest]) -> None:
        job = self.defs.resolve_job_def(job_name)
        for request in requests:
            result = job.execute_in_process(
                instance=self.instance,
                run_config=request.run_config,
                tags=request.tags,
                partition_key=request.partition_key,
                asset_selection=request.asset_selection,
            )
            assert result.success
            self.runs.append((job_name, request))

    def ingest(self) -> list[RunRequest]:
        """One inbox tick with its runs, then one days tick with its runs."""
        file_runs = self.tick("inbox_sensor")
        self.execute(INGEST_JOB, file_runs)
        day_runs = self.tick("touched_days_sensor")
        self.execute(DAILY_JOB, day_runs)
        return file_runs + day_runs
