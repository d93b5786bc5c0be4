"""Anomalies of an analysis day against each entity's baseline learnt on the days before it, and their score
against the planted truth. Pure: no Dagster; vectorised polars over all homes at once.

For analysis day D the baseline is days D-(window_days-1) .. D-1 of the same entity (local days of its
home; hours are hours elapsed since local midnight, so on a DST day the hours after the jump are one off):

- ``unusual_time``: a light, plug, TV, speaker or fan switched on on D in an hour h such that on none of
  the baseline days it was switched on within an hour of h (h-1 .. h+1), while the household is usually
  home and still then: nothing of the home switched on by hand near h on more than
  :data:`QUIET_HOME_SHARE` of the baseline days, someone home in h on at least :data:`OCCUPIED_SHARE` of
  them (people from the ``person`` entities). Score: -ln((k + 0.5) / (days + 1)), k = 0.
- ``unusual_duration``: a run of D (on to off, or to D's last event if still on) on with someone home for
  at least :data:`MIN_UNUSUAL_RUN_S` and longer than :data:`DURATION_FACTOR` x the longest such baseline
  run, or begun at an unusual hour (as for unusual_time): on through the night (a thing left on while
  everyone is out is the home's normal). Score: that ratio.
- ``unusual_value``: a temperature, humidity or power reading of D whose robust z (distance from the
  baseline median over 1.4826 x the median absolute deviation, at least the class's :data:`MIN_SPREAD`)
  exceeds :data:`VALUE_Z`. Score: z.
- ``unusual_volume``: a binary sensor whose changes in the hour up to a change of D exceed
  :data:`VOLUME_FACTOR` x its most changes in any clock hour of the baseline (and :data:`MIN_VOLUME`).
  Score: that ratio.

Consecutive deviating readings or changes of an entity (less than :data:`SPELL_GAP_S` apart) are one
anomaly, reported at the first with the highest score of the spell. Every threshold is an estimate, tuned
on the planted anomalies (events/anomalies.py) and reported with precision and recall by :func:`score`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from synth_assets.smart_home.events.models import SESSIONS
from synth_assets.smart_home.patterns.models import ANOMALIES_SCHEMA, ANOMALY_KINDS

MIN_BASELINE_DAYS = 5           # fewer baseline days: nothing is called unusual (estimate)
QUIET_HOME_SHARE = 0.1          # unusual_time: the home's actuators switched on near that hour on at most
                                # this share of the baseline days (estimate)
OCCUPIED_SHARE = 0.8            # ... while someone was home in that hour on at least this share (estimate): the
                                # household is there and asleep, not out (an hour a home is usually empty is
                                # not unusual for a switch-on when someone stays in)
ROUTINE_CHANGE_ENTITIES = 3     # this many run anomalies of a home on the day are a change of the household's
                                # routine (back from a trip), not a device's: not reported (estimate)
DURATION_FACTOR = 2.0           # time on with someone home, this many times the baseline's longest (estimate)
MIN_UNUSUAL_RUN_S = 5 * 3600.0  # ... and at least this long; a run this long begun at an unusual hour is one
                                # too (on through the night), not an unusual_time (estimate)
VALUE_Z = 8.0                   # robust z of a reading (estimate)
MIN_SPREAD = {"temperature": 0.3, "humidity": 1.5, "power": 40.0}   # floor of 1.4826 x MAD (estimate)
VOLUME_FACTOR = 2.0             # changes in an hour over the busiest baseline hour (estimate)
MIN_VOLUME = 40                 # ... and at least this many (estimate)
BLOCK_HOMES = 100               # homes detected at once (memory: their window of events)
SPELL_GAP_S = 1800.0            # deviating readings closer than this are one anomaly
VOLUME_WINDOW_S = 3600.0        # changes counted over this trailing window (deviating changes closer: one)
RUN_DOMAINS = {"light": ("on", "off"), "switch": ("on", "off"), "fan": ("on", "off")}
MEDIA_ACTIVE, MEDIA_IDLE = ("on", "playing"), ("off", "idle")
MATCH_LEAD_S = 60.0 * max(s.minutes[1] for k, s in SESSIONS.items() if not k.startswith("binary_sensor"))
"""A detected run may begin this much before the planted spell it matches: the planted period merges with
a session of the entity's own that was already on (the longest session)."""

_US = 1_000_000


def local_day_starts(homes: pl.DataFrame, first: date, days: int) -> np.ndarray:
    """(homes, days + 1) UTC µs of local midnight of ``first`` .. ``first + days``, in ``homes`` order (one
    Python step per distinct zone and day)."""
    zones = homes["timezone"].to_list()
    starts = {zone: [int(datetime.combine(first + timedelta(days=k), datetime.min.time(), tzinfo=ZoneInfo(zone))
                         .astimezone(timezone.utc).timestamp() * _US) for k in range(days + 1)] for zone in set(zones)}
    return np.array([starts[zone] for zone in zones], dtype=np.int64).reshape(len(zones), days + 1)


def _clock(second: pl.Expr) -> pl.Expr:
    minutes = (second // 60).cast(pl.Int64)
    return pl.format("{}:{}", (minutes // 60 % 24).cast(pl.String).str.zfill(2),
                     (minutes % 60).cast(pl.String).str.zfill(2))


def analysed_entities(entities: pl.DataFrame, homes: pl.DataFrame) -> pl.DataFrame:
    """(code, home_pos, home_id, entity_id, group, device_class) of the entities the detector looks at:
    ``run`` (lights, switches, fans, media players), ``value`` (temperature and humidity sensors, and power
    meters: ``device_type`` energy_meter, when ``entities`` carries it; a plug's power follows its switch),
    ``chatter`` (binary sensors)."""
    domain, device_class = pl.col("domain"), pl.col("device_class")
    meter = (pl.col("device_type") == "energy_meter") if "device_type" in entities.columns else pl.lit(True)
    value = (domain == "sensor") & (device_class.is_in(["temperature", "humidity"])
                                    | ((device_class == "power") & meter.fill_null(False)))
    group = (pl.when(domain.is_in(list(RUN_DOMAINS)) | (domain == "media_player")).then(pl.lit("run"))
             .when(value).then(pl.lit("value"))
             .when(domain == "binary_sensor").then(pl.lit("chatter"))
             .when(domain == "person").then(pl.lit("person")))
    return (entities.select("home_id", "entity_id", "device_class", group=group)
            .filter(pl.col("group").is_not_null())
            .join(homes.select("home_id").with_row_index("home_pos"), on="home_id", how="inner")
            .sort("home_pos", "entity_id").with_row_index("code"))


def _local_time(frame: pl.DataFrame, starts: np.ndarray) -> pl.DataFrame:
    """``day`` (0-based in the window) and ``second`` (elapsed since the home's local midnight) of each row."""
    days = starts.shape[1] - 1
    home = frame["home_pos"].to_numpy().astype(np.int64)
    ts = frame["timestamp"].dt.epoch("us").to_numpy()
    day = np.clip((ts - starts[home, 0]) // (86_400 * _US), 0, days - 1)
    day = np.where(ts < starts[home, day], day - 1, np.where(ts >= starts[home, day + 1], day + 1, day))
    second = (ts - starts[home, np.clip(day, 0, days)]) / _US
    return frame.with_columns(day=pl.Series(day), second=pl.Series(second)).filter(
        pl.col("day").is_between(0, days - 1))


def detect(events: pl.DataFrame, entities: pl.DataFrame, homes: pl.DataFrame, analysis_day: date,
           window_days: int) -> pl.DataFrame:
    """The anomalies of ``analysis_day`` (ANOMALIES_SCHEMA) in ``events`` of the window ending on it.

    ``entities``: home_id, entity_id, domain, device_class (and device_type, to tell meters from plugs);
    ``homes``: home_id, timezone."""
    first = analysis_day - timedelta(days=window_days - 1)
    ents = analysed_entities(entities, homes)
    frame = events.select("home_id", "entity_id", "timestamp", "state", "context_user_id").join(
        ents.select("home_id", "entity_id", "code", "home_pos", "group"), on=["home_id", "entity_id"], how="inner")
    starts = local_day_starts(homes, first, window_days)
    frame = _local_time(frame.drop("home_id", "entity_id"), starts)
    last = window_days - 1
    parts = []
    if last >= MIN_BASELINE_DAYS:
        values = frame.filter(pl.col("group") == "value").join(ents.select("code", "device_class"), on="code")
        occupied = occupancy(frame.filter(pl.col("group") == "person"), len(homes),
                             (int(starts.min()), int(starts.max())))
        parts = [_runs(frame.filter(pl.col("group") == "run"), occupied, _home_hours(occupied, starts), last),
                 _values(values, last),
                 _volume(frame.filter(pl.col("group") == "chatter"), last)]
    parts = [p for p in parts if p.height]
    found = pl.concat(parts) if parts else pl.DataFrame(schema={
        "code": pl.UInt32, "kind": pl.String, "timestamp": pl.Datetime("us", "UTC"), "score": pl.Float64,
        "detail": pl.String})
    out = (found.join(ents.select("code", "home_id", "entity_id"), on="code")
           .with_columns(analysis_day=pl.lit(analysis_day, dtype=pl.Date),
                         reason=pl.format("{} {}", "entity_id", "detail"))
           .sort("home_id", "timestamp", "entity_id", "kind"))
    return pl.from_arrow(out.select(ANOMALIES_SCHEMA.names).to_arrow().cast(ANOMALIES_SCHEMA))


def detect_in_blocks(read_events: Callable[[list[str]], pl.DataFrame], entities: pl.DataFrame,
                     homes: pl.DataFrame, analysis_day: date, window_days: int,
                     block_homes: int = BLOCK_HOMES) -> pl.DataFrame:
    """:func:`detect` over blocks of ``block_homes`` homes (a home's anomalies depend on its own events only,
    so the rows are the same), ``read_events(home_ids)`` giving each block's window: memory stays that of
    one block."""
    homes = homes.sort("home_id")
    parts = []
    for first in range(0, homes.height, block_homes):
        block = homes.slice(first, block_homes)
        ids = block["home_id"].to_list()
        parts.append(detect(read_events(ids), entities.filter(pl.col("home_id").is_in(ids)), block, analysis_day,
                            window_days))
    return pl.concat(parts).sort("home_id", "timestamp", "entity_id", "kind") if parts else detect(
        pl.DataFrame(schema={c: pl.String for c in ("home_id", "entity_id", "state", "context_user_id")}
                     | {"timestamp": pl.Datetime("us", "UTC")}), entities, homes, analysis_day, window_days)


_COLUMNS = ["code", "kind", "timestamp", "score", "detail"]


class Occupied:
    """Seconds with someone at home, cumulative per home over the window: ``between(home, start, end)``."""

    def __init__(self, key: np.ndarray, cumulative: np.ndarray, occupied: np.ndarray, origin: int, span: int):
        self.key, self.cumulative, self.occupied, self.origin, self.span = key, cumulative, occupied, origin, span

    def _at(self, home: np.ndarray, ts: np.ndarray) -> np.ndarray:
        if not len(self.key):
            return np.zeros(len(ts), dtype=np.int64)
        # a time before the first write is at the home's origin row, one after the span at its end: never in
        # another home's key range
        key = home.astype(np.int64) * self.span + np.clip(ts - self.origin, 0, self.span - 1)
        j = np.maximum(np.searchsorted(self.key, key, side="right") - 1, 0)
        return self.cumulative[j] + np.where(self.occupied[j], key - self.key[j], 0)

    def between(self, home: np.ndarray, start_us: np.ndarray, end_us: np.ndarray) -> np.ndarray:
        return (self._at(home, end_us) - self._at(home, start_us)) / _US




def occupancy(persons: pl.DataFrame, homes: int, bounds: tuple[int, int]) -> Occupied:
    """When someone was home, from the ``person`` entities' home / not_home writes (a person's state before
    its first write in the window is the other one; a person with no write is taken as home). ``bounds``: the
    first and last µs the window's questions may ask about (each home's key range covers them)."""
    persons = persons.filter(pl.col("state").is_in(["home", "not_home"])).sort("code", "timestamp")
    first = persons.group_by("code").agg(pl.col("home_pos", "state").first())
    initially = np.zeros(homes, dtype=np.int64)
    np.add.at(initially, first["home_pos"].to_numpy().astype(np.int64), (first["state"] == "not_home").to_numpy())
    written = persons["timestamp"].dt.epoch("us")
    origin = min(bounds[0], int(written.min() if len(written) else bounds[0])) - 1
    span = max(bounds[1], int(written.max() if len(written) else bounds[1])) - origin + 1   # homes never overlap
    home = np.concatenate([np.arange(homes), persons["home_pos"].to_numpy().astype(np.int64)])
    ts = np.concatenate([np.full(homes, origin), persons["timestamp"].dt.epoch("us").to_numpy()])
    step = np.concatenate([initially, np.where(persons["state"].to_numpy() == "home", 1, -1)])
    # a home's persons with no write at all are home throughout: they never appear, count them as one
    silent = np.ones(homes, dtype=bool)
    silent[persons["home_pos"].unique().to_numpy().astype(np.int64)] = False
    step[:homes] += silent
    key = home * span + (ts - origin)
    order = np.argsort(key, kind="stable")
    key, home, step = key[order], home[order], step[order]
    total = np.cumsum(step)
    block = np.flatnonzero(np.r_[True, home[1:] != home[:-1]])   # every home has its origin row
    before = (total - step)[block]
    count = total - before[np.cumsum(np.r_[True, home[1:] != home[:-1]]) - 1]   # people home, per home
    occupied = count > 0
    if not len(key):
        return Occupied(key, key, key.astype(bool), origin, span)
    length = np.diff(key, append=key[-1])
    length[np.r_[home[1:] != home[:-1], True]] = 0
    covered = np.where(occupied, length, 0)
    return Occupied(key, np.cumsum(covered) - covered, occupied, origin, span)


def _home_hours(occupied: Occupied, starts: np.ndarray) -> pl.DataFrame:
    """(home_pos, hour, home_days): baseline days on which someone was home for most of each local hour."""
    homes, days = starts.shape[0], starts.shape[1] - 2   # the analysis day is not baseline
    home, day, hour = (a.ravel() for a in np.meshgrid(np.arange(homes), np.arange(days), np.arange(24),
                                                      indexing="ij"))
    begin = starts[home, day] + hour * 3600 * _US
    at_home = occupied.between(home, begin, begin + 3600 * _US) >= 1800.0
    return (pl.DataFrame({"home_pos": home, "hour": hour, "at_home": at_home})
            .group_by("home_pos", "hour").agg(occupied_days=pl.col("at_home").sum())
            .with_columns(pl.col("home_pos").cast(pl.UInt32), pl.col("hour").cast(pl.Int64)))


def _runs(frame: pl.DataFrame, occupied: Occupied, home_hours: pl.DataFrame, last: int) -> pl.DataFrame:
    """Switch-on runs: unusual_duration by their time on with someone at home, else unusual_time by their
    switch-on hour."""
    active = pl.col("state").is_in(["on", *MEDIA_ACTIVE])
    idle = pl.col("state").is_in(["off", *MEDIA_IDLE])
    frame = frame.filter(active | idle).sort("code", "timestamp")
    day_end = frame.filter(pl.col("day") == last).group_by("home_pos").agg(day_end=pl.col("timestamp").max())
    runs = (frame.with_columns(next_ts=pl.col("timestamp").shift(-1).over("code"),
                               next_idle=idle.shift(-1).over("code"))
            .filter(active)
            .join(day_end, on="home_pos", how="left")
            .with_columns(end=pl.when(pl.col("next_idle").fill_null(False)).then("next_ts")
                          .otherwise(pl.max_horizontal("timestamp", "day_end")))
            .with_columns(length=(pl.col("end") - pl.col("timestamp")).dt.total_microseconds() / _US,
                          hour=(pl.col("second") // 3600).cast(pl.Int64) % 24))
    runs = runs.with_columns(attended=pl.Series(occupied.between(runs["home_pos"].to_numpy(),
                                                                 runs["timestamp"].dt.epoch("us").to_numpy(),
                                                                 runs["end"].dt.epoch("us").to_numpy())))
    base, today = runs.filter(pl.col("day") < last), runs.filter(pl.col("day") == last)
    if not today.height:
        return pl.DataFrame()
    longest = base.group_by("code").agg(longest=pl.col("attended").max(), runs=pl.len())
    near = pl.concat_list((pl.col("hour") + 23) % 24, "hour", (pl.col("hour") + 1) % 24)
    entity_days = (base.select("code", "day", hour=near).explode("hour").unique()
                   .group_by("code", "hour").agg(days=pl.len()))
    home_days = (base.filter(pl.col("context_user_id").is_not_null()).select("home_pos", "day", hour=near)
                 .explode("hour").unique().group_by("home_pos", "hour").agg(home_days=pl.len()))
    today = (today.join(longest, on="code", how="left").join(entity_days, on=["code", "hour"], how="left")
             .join(home_days, on=["home_pos", "hour"], how="left")
             .join(home_hours, on=["home_pos", "hour"], how="left")
             .with_columns(pl.col("days", "home_days", "runs").fill_null(0)))
    ratio = pl.col("attended") / pl.max_horizontal("longest", 60.0)
    quiet = ((pl.col("days") == 0) & (pl.col("home_days") <= QUIET_HOME_SHARE * last)
             & (pl.col("occupied_days").fill_null(0) >= OCCUPIED_SHARE * last))
    # long for this entity, or switched on at an unusual hour and then left on for hours: on through the night
    long_run = (pl.col("attended") >= MIN_UNUSUAL_RUN_S) & (((pl.col("runs") >= 1) & (ratio > DURATION_FACTOR))
                                                            | quiet)
    duration = today.filter(long_run).with_columns(
        kind=pl.lit("unusual_duration"), score=ratio,
        detail=pl.format("on for {} h from {}, {} h of it with someone home; longest such run on the {} days "
                         "before: {} h", (pl.col("length") / 3600).round(1), _clock(pl.col("second")),
                         (pl.col("attended") / 3600).round(1), pl.lit(last), (pl.col("longest") / 3600).round(1)))
    time = today.filter(~long_run & quiet).with_columns(
        kind=pl.lit("unusual_time"), score=-((pl.col("days") + 0.5) / (last + 1)).log(),
        detail=pl.format("on at {} for {} min; switched on within an hour of {}:00 on {} of {} days (anything in "
                         "the home: {} days)", _clock(pl.col("second")),
                         (pl.col("length") / 60).round(0).cast(pl.Int64), pl.col("hour").cast(pl.String).str.zfill(2),
                         "days", pl.lit(last), "home_days"))
    return _without_routine_changes(pl.concat([duration.select("home_pos", *_COLUMNS),
                                               time.select("home_pos", *_COLUMNS)]))


def _without_routine_changes(found: pl.DataFrame) -> pl.DataFrame:
    """Run anomalies less those of homes with ROUTINE_CHANGE_ENTITIES or more of them on the day: then the
    household did something else that day (back from a trip, up all night), which is not a device
    behaving unusually."""
    return found.filter(pl.len().over("home_pos") < ROUTINE_CHANGE_ENTITIES).select(_COLUMNS)


def _first_of_spells(flagged: pl.DataFrame, gap_s: float) -> pl.DataFrame:
    """One row per spell of an entity's flagged rows (gaps under ``gap_s``): at the spell's first
    timestamp, with the score and detail of its highest-scoring row."""
    flagged = flagged.sort("code", "timestamp").with_columns(
        spell=((pl.col("timestamp").diff().over("code").dt.total_microseconds() / _US).fill_null(np.inf)
               > gap_s).cum_sum().over("code"))
    return (flagged.group_by("code", "spell").agg(pl.col("timestamp").min(),
                                                  pl.col("kind", "score", "detail").sort_by("score").last())
            .select(_COLUMNS))


def _values(frame: pl.DataFrame, last: int) -> pl.DataFrame:
    frame = frame.with_columns(value=pl.col("state").cast(pl.Float64, strict=False)).drop_nulls("value")
    base = (frame.filter(pl.col("day") < last).group_by("code")
            .agg(median=pl.col("value").median(), mad=(pl.col("value") - pl.col("value").median()).abs().median(),
                 low=pl.col("value").min(), high=pl.col("value").max()))
    floor = pl.col("device_class").replace_strict(MIN_SPREAD, default=1.0, return_dtype=pl.Float64)
    today = (frame.filter(pl.col("day") == last).join(base, on="code", how="inner")
             .with_columns(spread=pl.max_horizontal(1.4826 * pl.col("mad"), floor))
             .with_columns(score=(pl.col("value") - pl.col("median")).abs() / pl.col("spread"))
             .filter((pl.col("score") > VALUE_Z)
                     & ((pl.col("value") > pl.col("high") + pl.col("spread"))
                        | (pl.col("value") < pl.col("low") - pl.col("spread")))))
    if not today.height:
        return pl.DataFrame()
    return _first_of_spells(today.with_columns(
        kind=pl.lit("unusual_value"),
        detail=pl.format("read {} at {}; {} to {} (median {}) on the {} days before (robust z = {})", "state",
                         _clock(pl.col("second")), "low", "high", pl.col("median").round(1), pl.lit(last),
                         pl.col("score").round(1))), SPELL_GAP_S)


def _volume(frame: pl.DataFrame, last: int) -> pl.DataFrame:
    hourly = (frame.filter(pl.col("day") < last).with_columns(hour=(pl.col("second") // 3600).cast(pl.Int64))
              .group_by("code", "day", "hour").len().group_by("code").agg(busiest=pl.col("len").max()))
    today = frame.filter(pl.col("day") == last).sort("code", "timestamp")
    if not today.height:
        return pl.DataFrame()
    # changes in the trailing hour of each change: its position less the position of the entity's first
    # change less than an hour before it, on one packed sorted key
    t = today["timestamp"].dt.epoch("us").to_numpy()
    packed = today["code"].to_numpy().astype(np.int64) * np.int64(10 ** 12) + (t - t.min())
    trailing = np.arange(len(packed)) - np.searchsorted(packed, packed - int(VOLUME_WINDOW_S * _US), side="right") + 1
    today = (today.with_columns(changes=pl.Series(trailing)).join(hourly, on="code", how="left")
             .with_columns(pl.col("busiest").fill_null(0))
             .with_columns(score=pl.col("changes") / pl.max_horizontal("busiest", 1))
             .filter((pl.col("changes") >= MIN_VOLUME) & (pl.col("changes") > VOLUME_FACTOR * pl.col("busiest"))))
    if not today.height:
        return pl.DataFrame()
    return _first_of_spells(today.with_columns(
        kind=pl.lit("unusual_volume"),
        detail=pl.format("changed {} times in the hour to {}; at most {} in any hour of the {} days before",
                         "changes", _clock(pl.col("second")), "busiest", pl.lit(last))), VOLUME_WINDOW_S)


SCORE_COLUMNS = ("kind", "detected", "true_detected", "planted", "found", "precision", "recall")


def score(detected: pl.DataFrame, planted: pl.DataFrame) -> pl.DataFrame:
    """Precision and recall by kind and overall ("all"): a detected row is true when a planted anomaly of
    the same home, entity and kind has its spell around the detected timestamp (a run may begin up to
    :data:`MATCH_LEAD_S` before it); a planted one is found when a detected row matches it. Precision is
    None without detections, recall None without planted anomalies."""
    key = ["home_id", "entity_id", "kind"]
    lead = pl.when(pl.col("kind").is_in(["unusual_time", "unusual_duration"])).then(MATCH_LEAD_S).otherwise(0.0)
    pairs = (detected.select(*key, "timestamp").with_row_index("detected_row")
             .join(planted.select(*key, "start", "end").with_row_index("planted_row"), on=key, how="inner")
             .filter((pl.col("timestamp") >= pl.col("start") - pl.duration(microseconds=(lead * _US).cast(pl.Int64)))
                     & (pl.col("timestamp") <= pl.col("end"))))
    true_rows = pairs["detected_row"].unique()
    found_rows = pairs["planted_row"].unique()
    det = detected.with_row_index("row").with_columns(true=pl.col("row").is_in(true_rows.implode()))
    pla = planted.with_row_index("row").with_columns(found=pl.col("row").is_in(found_rows.implode()))
    rows = []
    for kind in (*ANOMALY_KINDS, "all"):
        d = det if kind == "all" else det.filter(pl.col("kind") == kind)
        p = pla if kind == "all" else pla.filter(pl.col("kind") == kind)
        n_true, n_found = int(d["true"].sum()), int(p["found"].sum())
        rows.append({"kind": kind, "detected": d.height, "true_detected": n_true, "planted": p.height,
                     "found": n_found, "precision": n_true / d.height if d.height else None,
                     "recall": n_found / p.height if p.height else None})
    return pl.DataFrame(rows, schema={"kind": pl.String, "detected": pl.Int64, "true_detected": pl.Int64,
                                      "planted": pl.Int64, "found": pl.Int64, "precision": pl.Float64,
                                      "recall": pl.Float64})
