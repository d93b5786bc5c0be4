"""The smart-home family with ``SYNTH_DATA_DIR=s3://bucket/prefix``: through Dagster, against moto's S3 server.

The demo's chain (dimensions, rules, context, events, planted anomalies, state changes, automations, home
descriptions, the three pattern tables, the device graph and classifier, anomalies, suggestions with their
YAML, prompt/automation pairs with their JSONL) on a small world, once on local disk and once on S3: every
object has the bytes of its local file, and the Home Assistant export's one tar object per home holds the
files of the local export directory, byte for byte. A missing day and a file of another seed are refused by
their s3:// names, in the words used on disk, before anything is written. The helpers that replace the
local-only operations (listing, scanning, a directory of files) are tested on both kinds of location.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pyarrow.parquet as pq
import pytest

from synth_assets.core import files, object_store
from synth_assets.core.object_store import S3Path, location
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import write_parquet_atomic
from synth_assets.smart_home import definitions, layout
from synth_assets.smart_home.events.assets import MissingContextPartitionError
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.models import EVENTS_SCHEMA
from synth_assets.smart_home.patterns.suggestion_assets import replace_directory
from synth_assets.smart_home.patterns.window import MissingEventDaysError
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets_tests.conftest import make_resources, make_settings
from synth_assets_tests.object_store import moto_s3

SEED = 7
PREFIX = "run/data"
FIRST, DAY = date(2024, 1, 9), date(2024, 1, 10)   # two winter days; the analysis day reads both
SMART_HOME = SmartHomeSettings(homes=20, pattern_window_days=2)   # the classifier needs 2 homes of each type
ASSETS = definitions.defs.assets


def _keys(*tables: str) -> list[dg.AssetKey]:
    return [dg.AssetKey([layout.FAMILY, table]) for table in tables]


SPAN = {"dagster/asset_partition_range_start": FIRST.isoformat(), "dagster/asset_partition_range_end": DAY.isoformat()}
CHAIN = [   # (selection, partition tags or key), in the order `synth demo` runs them
    (_keys("homes", "areas", "devices", "entities", "correlations"), None),
    (_keys("calendar", "weather", "external_data", "electricity_prices", "carbon_intensity"), SPAN),
    (_keys("events", "planted_anomalies", "state_changes"), SPAN),
    (_keys("automations", "home_descriptions"), None),
    (_keys("time_of_day_patterns", "co_occurrence_patterns", "chain_patterns"), DAY.isoformat()),
    (_keys("device_graph_nodes", "device_graph_edges", "home_type_classifier"), DAY.isoformat()),
    (_keys("anomalies"), DAY.isoformat()),
    (_keys("automation_suggestions", "prompt_automation_pairs"), DAY.isoformat()),
    (_keys("ha_export"), SPAN),   # the first home, both days
]
EXPORTED = "smart_home/ha/home_00001"


def _run(settings: SynthSettings, instance, selection, when=None) -> dg.ExecuteInProcessResult:
    resources = {**make_resources(settings), "smart_home": SMART_HOME}
    options = {"partition_key": when} if isinstance(when, str) else {"tags": when}
    return dg.materialize(ASSETS, selection=selection, resources=resources, instance=instance, **options)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _local_files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): _sha256(p.read_bytes()) for p in sorted((root / layout.FAMILY).rglob("*"))
            if p.is_file()}


def _archive_files(archive: bytes, under: str) -> dict[str, str]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {f"{under}/{m.name}": _sha256(tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile()}


def _error(settings: SynthSettings, instance, selection, when, expected: type[Exception]) -> str:
    with pytest.raises(expected) as raised:
        _run(settings, instance, selection, when)
    return str(raised.value)


def test_the_chain_and_export_over_s3_have_the_local_bytes_and_refuse_a_missing_day_and_a_foreign_file(
        tmp_path, endpoint, instance):
    local = make_settings(tmp_path / "local", seed=SEED)
    bucket = moto_s3.new_bucket(endpoint)
    remote = SynthSettings(seed=SEED, data_dir=f"s3://{bucket}/{PREFIX}", air_quality_mode="sample")
    remote_runs = []
    for selection, when in CHAIN:
        _run(local, instance, selection, when)
        remote_runs.append(_run(remote, instance, selection, when))
    on_disk = _local_files(local.data_path)
    exported = {name: sha for name, sha in on_disk.items() if name.startswith(EXPORTED + "/")}
    tables = {Path(name).parts[1].removesuffix(".parquet") for name in on_disk if name.endswith(".parquet")}
    assert tables == {key.path[-1] for selection, _ in CHAIN for key in selection} - {"home_type_classifier",
                                                                                    "ha_export"}
    assert {Path(name).suffix for name in on_disk if name not in exported} == {".parquet", ".yaml", ".jsonl", ".json"}
    assert f"{EXPORTED}/home-assistant_v2.db" in exported and f"{EXPORTED}/automations.yaml" in exported
    objects = moto_s3.sha256_objects(endpoint, bucket, PREFIX, suffix="")
    archive = moto_s3.object_bytes(endpoint, bucket, f"{PREFIX}/{EXPORTED}.tar")
    assert objects.pop(f"{EXPORTED}.tar") == _sha256(archive)
    assert objects == {name: sha for name, sha in on_disk.items() if name not in exported}
    assert _archive_files(archive, "smart_home/ha") == exported and len(exported) >= 8   # .storage files, db, YAML
    _run(remote, instance, *CHAIN[-1])   # exported again: the object replaced whole, by the same bytes
    assert moto_s3.object_bytes(endpoint, bucket, f"{PREFIX}/{EXPORTED}.tar") == archive
    (suggestions,) = [m for run in remote_runs for m in run.get_asset_materialization_events()
                      if m.asset_key == dg.AssetKey([layout.FAMILY, "automation_suggestions"])]
    assert (suggestions.materialization.metadata["duckdb_view"].value
            == object_store.duckdb_views_problem(remote.data_path))

    # a missing context day: the events run names it by its s3:// name, in the words used on disk
    for settings in (local, remote):
        path = layout.daily_path(settings.data_path, "weather", FIRST)
        path.unlink() if isinstance(path, Path) else object_store.s3_filesystem().delete_file(path.store_path)
    messages = [_error(s, instance, _keys("events"), SPAN, MissingContextPartitionError) for s in (local, remote)]
    assert f"(s3://{bucket}/{PREFIX}/smart_home/weather/2024/2024-01-09.parquet)" in messages[1]
    assert messages[1] == messages[0].replace(str(local.data_path), str(remote.data_path))

    # a missing events day: the analysis refuses its window before writing, as on disk
    events_key = f"{PREFIX}/smart_home/events/2024/{FIRST}.parquet"
    events_day = moto_s3.object_bytes(endpoint, bucket, events_key)
    moto_s3.client(endpoint).delete_object(Bucket=bucket, Key=events_key)
    layout.daily_path(local.data_path, "events", FIRST).unlink()
    patterns = _keys("time_of_day_patterns")
    messages = [_error(s, instance, patterns, DAY.isoformat(), MissingEventDaysError) for s in (local, remote)]
    assert "1 missing: 2024-01-09" in messages[1] and messages[1] == messages[0]

    # the events of another seed under this day's name: refused by the reader, nothing replaced
    moto_s3.client(endpoint).put_object(Bucket=bucket, Key=events_key, Body=events_day)
    events_path = S3Path(bucket, *events_key.split("/"))
    another_seed = layout.table_identity("events", SMART_HOME.config(SEED + 1), EVENTS_SCHEMA_VERSION)
    write_parquet_atomic(pq.read_table(object_store.open_input(events_path)), events_path, EVENTS_SCHEMA,
                         another_seed)
    state_key = f"{PREFIX}/smart_home/state_changes/2024/{FIRST}.parquet"
    state_before = moto_s3.object_bytes(endpoint, bucket, state_key)
    with pytest.raises(Exception, match=rf"s3://{bucket}/{events_key} is not .*seed.*Fix: re-make it"):
        _run(remote, instance, _keys("state_changes"), SPAN)
    assert moto_s3.object_bytes(endpoint, bucket, state_key) == state_before
    assert events_day != moto_s3.object_bytes(endpoint, bucket, events_key)


@pytest.fixture
def roots(tmp_path, endpoint):
    return [tmp_path / "local", location(f"s3://{moto_s3.new_bucket(endpoint)}/p")]


def test_missing_files_scans_and_directories_of_files_work_on_disk_and_on_s3(roots):
    days = [date(2024, 1, d) for d in (1, 2, 3)]
    frames = [pl.DataFrame({"n": [d.day * 10 + i for i in range(3)], "s": ["x", "y", "z"]}) for d in days]
    found = []
    for root in roots:
        paths = [layout.daily_path(root, "t", d) for d in days] + [root / "t" / "2025" / "2025-01-01.parquet"]
        for path, frame in zip(paths, frames[:2], strict=False):   # the third day and the other year: absent
            write_parquet_atomic(frame.to_arrow(), path)
        assert files.missing_files(paths) == paths[2:]
        scan = files.scan_parquet(paths[:2]).select("n")
        found.append(scan.collect()["n"].to_list())

        directory = root / "yaml" / "2024-01-01"
        replace_directory({"a.yaml": "a: 1\n", "b.yaml": "b: 2\n"}, directory)
        replace_directory({"b.yaml": "b: 3\n", "c.yaml": "c: 4\n"}, directory)
        names = [directory / n for n in ("a.yaml", "b.yaml", "c.yaml")]
        assert files.missing_files(names) == names[:1]   # the earlier version's a.yaml is gone
        assert [files.read_text(p) for p in names[1:]] == ["b: 3\n", "c: 4\n"]
    assert found[0] == found[1] == [10, 11, 12, 20, 21, 22]
    with pytest.raises(object_store.ObjectStoreError, match="is a local file"):
        files.scan_parquet([roots[1] / "x.parquet", roots[0] / "x.parquet"])
