"""A batch's rows as Arrow tables (what the database sinks COPY / insert) hold exactly the validated values."""

from __future__ import annotations

from datetime import datetime, timezone

from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.stream.config import StreamConfig
from synth_assets.air_quality.stream.records import (
    DEAD_LETTER_SCHEMA,
    REALTIME_SCHEMA,
    arrow_rows,
    table_rows,
    validate,
)
from synth_assets.air_quality.stream.simulator import run


class Collect:
    name = "collect"

    def __init__(self):
        self.records: list[dict] = []

    def write(self, records: list[dict]) -> int:
        self.records.extend(records)
        return 0

    def close(self) -> None:
        pass


def test_arrow_rows_equal_the_validated_rows_and_dead_letters():
    config = StreamConfig(mode="production", count=3_000, start=datetime(2024, 5, 1, tzinfo=timezone.utc),
                          speedup=1e6, malformed_rate=0.05, seed=11)
    collect = Collect()
    run(config, select_cities("full"), collect)
    validated = validate(collect.records)
    good, bad = arrow_rows(validated)
    rows, dead = table_rows(validated)
    assert good.schema == REALTIME_SCHEMA and bad.schema == DEAD_LETTER_SCHEMA
    assert good.num_rows == len(rows) > 0 and bad.num_rows == len(dead) > 0
    assert [tuple(r.values())[:-1] for r in good.to_pylist()] == [r[:-1] for r in rows]
    assert [tuple(r.values())[1:] for r in bad.to_pylist()] == [r[1:] for r in dead]
    received = set(good.column("received_at").to_pylist()) | set(bad.column("received_at").to_pylist())
    assert len(received) == 1  # one receive time per batch, as before


def test_an_empty_batch_gives_empty_tables():
    good, bad = arrow_rows(validate([]))
    assert (good.num_rows, bad.num_rows) == (0, 0) and good.schema == REALTIME_SCHEMA
