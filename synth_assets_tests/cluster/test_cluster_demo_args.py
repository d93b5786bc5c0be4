"""`make cluster-demo` refuses bad arguments before it starts a server or a Dagster process."""

from __future__ import annotations

import pytest

from synth_assets.cluster import demo


@pytest.mark.parametrize(("argv", "message"), [
    (["--chunk-days", "0"], "SYNTH_BACKFILL_CHUNK_DAYS='0' is refused: Input should be greater than 0"),
    (["--chunk-days", "-3"], "SYNTH_BACKFILL_CHUNK_DAYS='-3' is refused"),
    (["--first", "2020-02-01", "--last", "2020-01-31"], "--last 2020-01-31 is before --first 2020-02-01"),
])
def test_bad_arguments_are_refused_before_anything_starts(argv, message, capsys, monkeypatch):
    def no_database():
        raise AssertionError("the instance database was started")

    monkeypatch.setattr(demo, "instance_database", no_database)
    assert demo.main(argv) == 1
    assert message in capsys.readouterr().err
