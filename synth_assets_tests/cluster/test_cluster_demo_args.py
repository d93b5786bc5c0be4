"""`make cluster-demo` refuses bad arguments before it starts a server or a Dagster process."""

from __future__ import annotations

import pytest

from synth_assets.cluster import demo


@pytest.mark.parametrize(("argv", "message"), [
    (["--chunk-days", "0"], "SYNTH_BACKFILL_CHUNK_DAYS='0' is refused: Input should be greater than 0"),
    (["--chunk-days", "-3"], "SYNTH_BACKFILL_CHUNK_DAYS='-3' is refused"),
    (["--first", "2020-02-01", "--last", "2020-01-31"], "--last 2020-01-31 is before --first 2020-02-01"),
    (["--max-runs", "0"], "--max-runs 0: at least one run must be able to run"),
])
def test_bad_arguments_are_refused_before_anything_starts(argv, message, capsys, monkeypatch):
    def no_database():
        raise AssertionError("the instance database was started")

    monkeypatch.setattr(demo, "instance_database", no_database)
    assert demo.main(argv) == 1
    assert message in capsys.readouterr().err


def test_a_port_that_is_not_a_number_is_named(monkeypatch):
    monkeypatch.setenv("DAGSTER_PG_HOST", "db.example")
    monkeypatch.setenv("DAGSTER_PG_PORT", "abc")
    with pytest.raises(demo.ClusterError, match="DAGSTER_PG_PORT='abc' is not a port number"):
        with demo.instance_database():
            pass
