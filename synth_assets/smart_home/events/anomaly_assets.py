"""``smart_home/planted_anomalies``: the anomalies planted in ``smart_home/events`` (events/anomalies.py), one
file per home-local day, so users and the anomaly detector's score can read the truth the events do not
carry. Each day is the same pure plan the event generator follows (seed, day, homes, their entities and
rules, the anomaly rate), so it never reads the events and matches them byte for byte whatever order the
two are made in.
"""


import math
from collections import Counter
from dataclasses import dataclass

import dagster as dg
import polars as pl

from synth_assets.core import metadata as md
from synth_assets.core.checks import Check, Tally, foreign_key, specs, unique_key
from synth_assets.core.partitions import daily_partitions, days_in_window
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import remove_stale_temp_files, write_parquet_atomic
from synth_assets.smart_home import layout
from synth_assets.smart_home.events import anomalies
from synth_assets.smart_home.events.assets import CORRELATIONS, read_correlations
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.models import PLANTED_ANOMALIES_SCHEMA
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.views import publish_view

GROUP = layout.FAMILY
TABLE = "planted_anomalies"
PLANTED_ANOMALIES = dg.AssetKey([GROUP, TABLE])
BAND_SD = 4.0   # the planted share of home-days may stray this many binomial standard deviations from the rate


@dataclass(frozen=True)
class KnownKinds(Check):
    def count(self, frame, parents=None) -> Counter:
        return Counter({"unknown_kind": int((~frame["kind"].is_in(list(anomalies.KINDS))).sum()),
                        "empty_spell": int((frame["end"] <= frame["start"]).sum()),
                        "value_without_reading": int(((frame["kind"] == "unusual_value") & frame["value"].is_null())
                                                     .sum()),
                        "volume_without_pulses": int(((frame["kind"] == "unusual_volume") & frame["pulses"].is_null())
                                                     .sum())})


@dataclass(frozen=True)
class RateWithinBand(Check):
    """The share of home-days (of homes with a candidate entity) that got an anomaly, within
    ``BAND_SD`` binomial standard deviations of the configured rate."""

    def result(self, planted: int, home_days: int, rate: float) -> dg.AssetCheckResult:  # type: ignore[override]
        share = planted / home_days if home_days else 0.0
        band = BAND_SD * math.sqrt(rate * (1 - rate) / home_days) if home_days else 0.0
        return dg.AssetCheckResult(
            check_name=self.name, passed=abs(share - rate) <= band, severity=dg.AssetCheckSeverity.WARN,
            description=f"{self.rule}: {planted} of {home_days} home-days = {share:.4f}, rate {rate} ± {band:.4f}",
            metadata={"planted": planted, "home_days": home_days, "share": share, "rate": rate, "band": band})


PLANTED_CHECKS = (
    unique_key("one_anomaly_per_home_day", ["day", "home_id"]),
    foreign_key("planted_entity_exists", "key", "entities", rule="every (home_id, entity_id) exists in entities"),
    KnownKinds("known_kinds_and_parameters", "kinds of patterns.models.ANOMALY_KINDS, start < end, a reading for "
                                             "unusual_value, pulses for unusual_volume"),
)
RATE_CHECK = RateWithinBand("planted_share_within_binomial_band", "home-days with an anomaly / home-days",
                            blocking=False)


@dg.asset(key=PLANTED_ANOMALIES, group_name=GROUP, kinds={"polars", "parquet", "duckdb"}, pool="duckdb",
          deps=[CORRELATIONS, *(dg.AssetKey([GROUP, t]) for t in layout.DIMENSION_TABLES)],
          partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(),
          check_specs=[*specs(PLANTED_ANOMALIES, PLANTED_CHECKS), RATE_CHECK.spec(PLANTED_ANOMALIES)],
          description="The anomalies planted in smart_home.events at the configured rate per home-day (unusual "
                      "time, duration, value, volume): entity, kind, spell (UTC) and parameters; the truth the "
                      "anomaly detector is scored against. The events never carry it.")
def planted_anomalies(context: dg.AssetExecutionContext, settings: SynthSettings,
                      smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    window = context.partition_time_window
    days = days_in_window(window.start.date(), window.end.date())
    config = smart_home.config(settings.seed)
    homes, areas, devices, entities = (layout.read_made(settings.data_path, t, config)
                                       for t in layout.DIMENSION_TABLES)
    candidates = anomalies.candidates(anomalies.candidate_frame(entities, areas, devices),
                                      read_correlations(settings, config))
    identity = layout.table_identity(TABLE, config, EVENTS_SCHEMA_VERSION)
    remove_stale_temp_files(layout.daily_dir(settings.data_path, TABLE))
    keys = entities.select(pl.format("{}/{}", "home_id", "entity_id"))
    tally = Tally(PLANTED_CHECKS, parents={"entities": keys.to_series()})
    frames = []
    for day in days:
        frame = anomalies.plan(config.seed, day, homes, candidates, config.anomaly_rate)
        table = anomalies.planted_table(frame)
        tally.add(pl.from_arrow(table).with_columns(key=pl.format("{}/{}", "home_id", "entity_id")))
        write_parquet_atomic(table, layout.daily_path(settings.data_path, TABLE, day), PLANTED_ANOMALIES_SCHEMA,
                             identity)
        frames.append(pl.from_arrow(table))
    view = publish_view(settings, TABLE, layout.daily_glob(settings.data_path, TABLE),
                        expected=PLANTED_ANOMALIES_SCHEMA, identity=identity, fix=layout.remake_hint(TABLE))
    planted = pl.concat(frames)
    home_days = candidates["home_id"].n_unique() * len(days)
    context.log.info(f"smart_home.planted_anomalies: {planted.height} in {len(days)} day(s)")
    return dg.MaterializeResult(
        metadata={**md.table_metadata(PLANTED_ANOMALIES_SCHEMA, planted.height, planted.head(8)),
                  "days_in_run": len(days), "anomaly_rate": config.anomaly_rate,
                  "by_kind": md.markdown_preview(planted.group_by("kind").len().sort("kind"), rows=10),
                  "directory": dg.MetadataValue.path(str(layout.daily_dir(settings.data_path, TABLE))),
                  "table": f"{GROUP}.{TABLE}", "duckdb_view": view},
        check_results=[*tally.results(), RATE_CHECK.result(planted.height, home_days, config.anomaly_rate)])


PLANTED_ANOMALY_ASSETS = [planted_anomalies]
