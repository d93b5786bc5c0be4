"""The cluster's instance and workspace YAML, and the start-up check of its instance database.

The instance is what ``deploy/dagster.yaml`` describes for Kubernetes, with the run launcher that runs on
one machine: runs, events and schedules in PostgreSQL (dagster-postgres), the QueuedRunCoordinator with a
run limit and tag limits, the ``duckdb`` pool at one writer, and the DefaultRunLauncher, which asks the code
server to start each run in a process of its own (a run worker). The database's connection values are
read from the environment (``DAGSTER_PG_*``) by every process, as in the chart.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

PG_ENV = {"hostname": "DAGSTER_PG_HOST", "port": "DAGSTER_PG_PORT", "username": "DAGSTER_PG_USER",
          "password": "DAGSTER_PG_PASSWORD", "db_name": "DAGSTER_PG_DB"}
"""dagster-postgres's ``postgres_db`` fields and the variables each process reads them from."""
PG_SCHEME = "postgresql+psycopg2"
"""SQLAlchemy >= 2.1 reads a bare ``postgresql://`` as psycopg 3, whose server-side parameters break
dagster-postgres's ``NOTIFY run_events, %s`` (PostgreSQL: syntax error at or near "$1"); dagster-postgres is
written for psycopg2 (its dependency psycopg2-binary), so the instance names that driver."""
LOCATION_NAME = "synth_assets"
CONNECT_TIMEOUT_SECONDS = 5


class InstanceDatabase(BaseModel):
    """Where the instance's PostgreSQL database is."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    host: str = "127.0.0.1"
    port: int = Field(default=5432, gt=0, lt=65536)
    user: str = "postgres"
    password: str = ""
    database: str = "dagster"

    def environment(self) -> dict[str, str]:
        """The ``DAGSTER_PG_*`` variables the instance YAML reads."""
        values = {"hostname": self.host, "port": str(self.port), "username": self.user,
                  "password": self.password, "db_name": self.database}
        return {PG_ENV[field]: value for field, value in values.items()}

    def describe(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"


class QueueLimits(BaseModel):
    """The QueuedRunCoordinator's limits."""

    model_config = ConfigDict(frozen=True)

    max_concurrent_runs: int = Field(default=3, ge=1, description="runs in progress at once (run workers)")
    runs_per_backfill: int = Field(default=3, ge=1, description="runs of one backfill in progress at once")
    dequeue_interval_seconds: int = Field(default=1, ge=1)


class InstanceDatabaseUnreachable(RuntimeError):
    """The instance database does not answer; the message says where and what to do."""


def instance_config(limits: QueueLimits) -> dict:
    """The instance (``dagster.yaml``) of the local cluster."""
    return {
        "storage": {"postgres": {"postgres_db": {**{field: {"env": variable} for field, variable in PG_ENV.items()},
                                                 "scheme": PG_SCHEME}}},
        # Dagster >= 1.10 spells the queue's limits under concurrency.runs (beside the pools), not in the
        # run coordinator's config; giving them in both places is refused when the instance loads.
        "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator",
                            "config": {"dequeue_interval_seconds": limits.dequeue_interval_seconds}},
        "run_launcher": {"module": "dagster._core.launcher", "class": "DefaultRunLauncher"},
        "concurrency": {
            "runs": {
                "max_concurrent_runs": limits.max_concurrent_runs,
                "tag_concurrency_limits": [
                    # one backfill cannot take every run slot
                    {"key": "dagster/backfill", "value": {"applyLimitPerUniqueValue": True},
                     "limit": limits.runs_per_backfill},
                ],
            },
            # the duckdb pool: one writer per DuckDB file, held per step (op); no run is started whose steps
            # would all wait for a pool slot (op_granularity_run_buffer 0)
            "pools": {"default_limit": 1, "granularity": "op", "op_granularity_run_buffer": 0},
        },
        "telemetry": {"enabled": False},
    }


def workspace_config(host: str, port: int) -> dict:
    """The workspace of the webserver and the daemon: the code server at ``host:port``."""
    return {"load_from": [{"grpc_server": {"host": host, "port": port, "location_name": LOCATION_NAME}}]}


def write_yaml(path: Path, config: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def check_instance_database(database: InstanceDatabase) -> None:
    """Connect once to the instance database; :class:`InstanceDatabaseUnreachable` if it does not answer.

    Run before any Dagster process starts: a daemon or webserver whose instance database is down dies with
    a long SQLAlchemy traceback, or retries without end."""
    import psycopg

    try:
        with psycopg.connect(host=database.host, port=database.port, user=database.user,
                             password=database.password or None, dbname=database.database,
                             connect_timeout=CONNECT_TIMEOUT_SECONDS):
            pass
    except psycopg.OperationalError as exc:
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        reason = "; ".join(lines[:2]) if lines else type(exc).__name__   # what failed, then libpq's hint
        raise InstanceDatabaseUnreachable(
            f"the Dagster instance database {database.describe()} does not answer ({reason}). Start PostgreSQL "
            f"there and create the database, or point {', '.join(PG_ENV.values())} at yours; no Dagster "
            f"process was started") from None
