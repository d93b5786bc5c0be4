"""One home's Home Assistant configuration directory, written atomically.

``<root>/<home_id>/`` holds ``.storage/<key>`` (registries, config entries, person, auth),
``home-assistant_v2.db``, ``configuration.yaml`` and ``automations.yaml``. The directory is built under a
temporary name beside it and swapped in by renames, so a reader sees the old export or the new one, never
a mix (:func:`write_archive` packs one such directory into a single file, for an object store, which
cannot swap a directory). The span is the home-local days exported: from local midnight of the first to
local midnight after the last. Pure: no Dagster.
"""

from __future__ import annotations

import shutil
import tarfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from synth_assets.core.storage import swap_in_directory
from synth_assets.smart_home.export import registries
from synth_assets.smart_home.export.automation_events import automation_entities, automation_runs, with_run_contexts
from synth_assets.smart_home.export.automations import (
    automation_rows,
    automations_yaml,
    entity_kinds,
    home_automations,
)
from synth_assets.smart_home.export.configuration import AUTOMATIONS_FILE, CONFIGURATION_FILE, configuration_yaml
from synth_assets.smart_home.export.recorder import DATABASE_NAME, recorded_events, write_recorder_database

STORAGE_DIR = ".storage"
ARCHIVE_SUFFIX = ".tar"
STALE_BUILD_SECONDS = 3600


@dataclass(frozen=True)
class HomeTables:
    """One home's rows of every table the export reads."""

    home: Mapping[str, object]        # its row of smart_home.homes
    elevation_m: float                # its city's altitude
    areas: pl.DataFrame
    devices: pl.DataFrame
    entities: pl.DataFrame
    people: pl.DataFrame              # people.occupants rows
    events: pl.DataFrame              # smart_home.events over the span
    correlations: pl.DataFrame        # smart_home.correlations
    elevation_source: str | None = None  # where the altitude comes from (the city table's altitude_source)


@dataclass(frozen=True)
class HomeExport:
    home_id: str
    directory: Path
    recorder_rows: dict[str, int]
    storage: dict[str, dict[str, object]] = field(repr=False)
    automations: pl.DataFrame = field(repr=False)


def check_days(days: Sequence[date]) -> list[date]:
    """The days sorted; refused if empty or not consecutive (the recorder's runs cover one span)."""
    ordered = sorted(set(days))
    if not ordered:
        raise ValueError("an export needs at least one day")
    gaps = [d for d, e in zip(ordered, ordered[1:], strict=False) if e - d != timedelta(days=1)]
    if gaps:
        raise ValueError(f"export days must be consecutive; missing after {gaps[0].isoformat()}")
    return ordered


def span_seconds(days: Sequence[date], timezone: str) -> tuple[float, float]:
    """Epoch seconds of local midnight of the first day and of the day after the last."""
    zone = ZoneInfo(timezone)
    ordered = check_days(days)
    start = datetime.combine(ordered[0], clock_time(0), zone).timestamp()
    end = datetime.combine(ordered[-1] + timedelta(days=1), clock_time(0), zone).timestamp()
    return start, end


def remove_stale_builds(root: Path, older_than_seconds: float = STALE_BUILD_SECONDS) -> int:
    """Delete the temporary and replaced directories an interrupted export left in ``root`` over an hour ago
    (younger ones may belong to an export still running)."""
    root = Path(root)
    if not root.exists():
        return 0
    cutoff = time.time() - older_than_seconds
    stale = [p for p in root.iterdir() if p.is_dir() and p.name.startswith(".")
             and p.name.endswith((".tmp", ".old")) and p.stat().st_mtime < cutoff]
    for directory in stale:
        shutil.rmtree(directory, ignore_errors=True)
    return len(stale)


def export_home(root: Path, seed: int, days: Sequence[date], tables: HomeTables) -> HomeExport:
    """Write one home's export to ``root/<home_id>/`` and say what it holds."""
    home_id = str(tables.home["home_id"])
    span_start, span_end = span_seconds(days, str(tables.home["timezone"]))
    names = dict(zip(tables.entities["entity_id"].to_list(),
                     registries.friendly_names(tables.entities, tables.devices).to_list(), strict=True))
    automations = home_automations(tables.correlations, names, entity_kinds(tables.entities))
    automation_ids = automation_entities(automations, tables.entities["entity_id"])
    storage = registries.home_storage(seed, tables.home, tables.areas, tables.devices, tables.entities,
                                      tables.people, automation_ids)
    entities = tables.entities.with_columns(
        friendly_name=registries.friendly_names(tables.entities, tables.devices),
        extra_attrs=registries.person_attributes(tables.entities, storage["person"]))
    recorded = recorded_events(tables.events, entities)  # the writes Home Assistant records
    runs = automation_runs(recorded, tables.correlations, automation_ids)
    recorded, runs = with_run_contexts(recorded, runs)  # a run's context is made at its trigger's time

    target = Path(root) / home_id
    target.parent.mkdir(parents=True, exist_ok=True)
    built = target.with_name(f".{home_id}.{uuid.uuid4().hex}.tmp")
    try:
        (built / STORAGE_DIR).mkdir(parents=True)
        for key, document in storage.items():
            (built / STORAGE_DIR / key).write_text(registries.storage_text(document), encoding="utf-8")
        rows = write_recorder_database(built / DATABASE_NAME, recorded, entities, span_start, span_end, runs)
        (built / CONFIGURATION_FILE).write_text(
            configuration_yaml(tables.home, tables.elevation_m, len(check_days(days)), tables.elevation_source),
            encoding="utf-8")
        (built / AUTOMATIONS_FILE).write_text(automations_yaml(automations), encoding="utf-8")
        swap_in_directory(built, target)
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    return HomeExport(home_id=home_id, directory=target, recorder_rows=rows, storage=storage,
                      automations=automation_rows(home_id, automations))


def write_archive(directory: Path, archive: Path) -> None:
    """``directory`` as an uncompressed tar at ``archive``: members ``<directory name>/<relative path>`` in
    sorted order, with no time, owner or permission of this machine (mtime 0, root, 0644/0755), so the same
    export gives the same archive bytes; ``tar -xf`` gives back the directory."""
    with tarfile.open(archive, "w", format=tarfile.GNU_FORMAT) as tar:
        for path in sorted(directory.rglob("*")):
            info = tar.gettarinfo(path, arcname=f"{directory.name}/{path.relative_to(directory).as_posix()}")
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            info.mode = 0o755 if info.isdir() else 0o644
            if info.isfile():
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
