"""The trailing window of event days an analysis day reads, and reading it. Pure: no Dagster.

Analysis day D covers the events days ``D - (window_days - 1) .. D``. The miners and the time-of-day
patterns read each day's ``smart_home.state_changes`` (:mod:`.state_change_days`: the rows and columns of
the events they use, made once per events day); the scores read the events' causal links. Before a byte
is read (and so before anything is written), every day must be there: a missing events day is a
:class:`MissingEventDaysError`, a missing state-changes day a :class:`MissingStateChangeDaysError`, each
naming all missing days (ranges condensed) and the commands that make them. Each file's footer is checked
(schema, seed, smart-home config) like every reader of the family does; the data is then one polars scan
of the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from synth_assets.core import files
from synth_assets.core.days import check_daily_window, check_not_in_future
from synth_assets.core.identity import FileIdentity
from synth_assets.core.object_store import Location
from synth_assets.core.storage import CorruptFileError, check_footer
from synth_assets.smart_home import layout
from synth_assets.smart_home.models import EVENTS_SCHEMA, SmartHomeConfig
from synth_assets.smart_home.patterns.state_change_days import (
    STATE_CHANGES_SCHEMA,
    state_changes_identity,
    state_changes_path,
)

EVENTS_TABLE = "events"
STATE_CHANGES = "state_changes"
CONTEXT_FOR_EVENTS = ("calendar", "weather", "external_data", "electricity_prices")
CAUSAL_COLUMNS = ("home_id", "entity_id", "context_id", "context_parent_id")


class MissingEventDaysError(FileNotFoundError):
    """Event partitions of an analysis window have not been materialized."""


class MissingStateChangeDaysError(MissingEventDaysError):
    """``smart_home.state_changes`` partitions of an analysis window have not been materialized."""


def window_days(analysis_day: date, days: int, today: date | None = None) -> list[date]:
    """The events days of analysis day ``analysis_day``'s window, oldest first, refused (core.days guards)
    when the window starts before the first partition or the analysis day is in the future."""
    if days < 1:
        raise ValueError(f"a pattern window holds at least one day, got {days}")
    first = analysis_day - timedelta(days=days - 1)
    check_daily_window(first, analysis_day + timedelta(days=1))
    check_not_in_future(analysis_day + timedelta(days=1), today)
    return [first + timedelta(days=i) for i in range(days)]


def condense(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) ranges: [1, 2, 3, 5] -> [(1, 3), (5, 5)]."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _span(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()}...{last.isoformat()}"


def events_command(first: date, last: date) -> str:
    """The command that makes the events days ``first .. last`` (their context days first)."""
    context = ",".join(f"smart_home/{table}" for table in CONTEXT_FOR_EVENTS)
    option = f"--partition {first.isoformat()}" if first == last else f"--partition-range {_span(first, last)}"
    return (f"dagster asset materialize -m synth_assets.definitions --select '{context}' {option} && "
            f"dagster asset materialize -m synth_assets.definitions --select smart_home/events {option}")


def state_changes_command(first: date, last: date) -> str:
    """The command that makes ``smart_home.state_changes`` of the events days ``first .. last``."""
    option = f"--partition {first.isoformat()}" if first == last else f"--partition-range {_span(first, last)}"
    return f"dagster asset materialize -m synth_assets.definitions --select smart_home/{STATE_CHANGES} {option}"


def _missing(analysis_day: date, days: Sequence[date], missing: Sequence[date], table: str, command,
             error: type[MissingEventDaysError]) -> MissingEventDaysError:
    ranges = condense(missing)
    listed = ", ".join(_span(first, last) for first, last in ranges)
    commands = "\n".join(f"  {command(first, last)}" for first, last in ranges)
    return error(f"analysis day {analysis_day.isoformat()} reads smart_home.{table} {_span(days[0], days[-1])} "
                 f"({len(days)} days); {len(missing)} missing: {listed}. Make them with:\n{commands}")


def require_event_days(data_dir: Location, analysis_day: date, days: Sequence[date],
                       state_changes: bool = False) -> None:
    """Every day of the window has its events file (and, with ``state_changes``, its state-changes file),
    else one error naming them all and how to make them (the state changes after their events)."""
    missing = files.missing_days(days, [layout.daily_path(data_dir, EVENTS_TABLE, day) for day in days])
    if missing:
        def make(first: date, last: date) -> str:
            then = f" && {state_changes_command(first, last)}" if state_changes else ""
            return events_command(first, last) + then
        raise _missing(analysis_day, days, missing, EVENTS_TABLE, make, MissingEventDaysError)
    if state_changes:
        missing = files.missing_days(days, [state_changes_path(data_dir, day) for day in days])
        if missing:
            raise _missing(analysis_day, days, missing, STATE_CHANGES, state_changes_command,
                           MissingStateChangeDaysError)


def check_window(data_dir: Location, analysis_day: date, days: Sequence[date],
                 identity: FileIdentity) -> list[Location]:
    """The window's event files, every one there and its footer checked (schema, seed, smart-home config: a
    foreign or corrupt file is named with the command that re-makes it). Reads no data."""
    require_event_days(data_dir, analysis_day, days)
    paths = [layout.daily_path(data_dir, EVENTS_TABLE, day) for day in days]
    for day, path in zip(days, paths, strict=True):
        check_footer(path, EVENTS_SCHEMA, f"re-make it: {events_command(day, day)}", identity)
    return paths


def scan_window(data_dir: Location, analysis_day: date, days: Sequence[date], identity: FileIdentity) -> pl.LazyFrame:
    """A polars scan of the window's event files, checked first (:func:`check_window`)."""
    return files.scan_parquet(check_window(data_dir, analysis_day, days, identity))


def check_state_changes(data_dir: Location, analysis_day: date, days: Sequence[date],
                        config: SmartHomeConfig) -> list[Location]:
    """The window's ``smart_home.state_changes`` files, every one there (after its events) and its footer
    checked (schema, seed, smart-home config, events version). Reads no data."""
    require_event_days(data_dir, analysis_day, days, state_changes=True)
    identity = state_changes_identity(config)
    paths = [state_changes_path(data_dir, day) for day in days]
    refused: list[tuple[date, CorruptFileError]] = []
    for day, path in zip(days, paths, strict=True):
        try:
            check_footer(path, STATE_CHANGES_SCHEMA, f"re-make it: {state_changes_command(day, day)}", identity)
        except CorruptFileError as error:   # every day is looked at: one error names the whole span to re-make
            refused.append((day, error))
    if len(refused) == 1:
        raise refused[0][1]
    if refused:
        commands = " && ".join(state_changes_command(first, last) for first, last in condense([d for d, _ in refused]))
        raise CorruptFileError(
            f"{len(refused)} of the {len(days)} smart_home.state_changes files of the window of {analysis_day} were "
            f"refused (for example: {refused[0][1]}). A file written by an earlier version of this project is "
            f"refused the same way. Fix: {commands}")
    return paths


def scan_state_changes(data_dir: Location, analysis_day: date, days: Sequence[date],
                       config: SmartHomeConfig) -> pl.LazyFrame:
    """A polars scan of the window's state-changes files (what the miners read), checked first."""
    return files.scan_parquet(check_state_changes(data_dir, analysis_day, days, config))


def causal_rows(scan: pl.LazyFrame, home_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """What the scores read to tell which planted rules the window exercised: ``home_id``, ``entity_id``,
    ``context_id``, ``context_parent_id`` of every change caused by another and of every row that caused
    one (a temperature report that turned the heating on too), of ``home_ids`` (sorted; default: every home).
    The miners never see these columns."""
    if home_ids is not None and not home_ids:
        scan = scan.head(0)
    elif home_ids is not None:   # the block's home_id range first: Parquet row groups skipped by their statistics
        scan = (scan.filter(pl.col("home_id").is_between(pl.lit(home_ids[0]), pl.lit(home_ids[-1])))
                .filter(pl.col("home_id").is_in(list(home_ids))))
    parents = scan.filter(pl.col("context_parent_id").is_not_null()).select("context_parent_id").collect()
    return (scan.select(*CAUSAL_COLUMNS)
            .filter(pl.col("context_parent_id").is_not_null()
                    | pl.col("context_id").is_in(parents["context_parent_id"].implode()))
            .collect())
