"""Inputs of the training tests: a small data directory made through Dagster (the smart-home tables, a
window of events, the analysis day's pattern tables), and a small device graph built in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import dagster as dg
import polars as pl

from synth_assets.core.resources import SynthSettings
from synth_assets.smart_home import assets as home_assets
from synth_assets.smart_home.context import assets as context_assets
from synth_assets.smart_home.events import assets as event_assets
from synth_assets.smart_home.patterns import assets as pattern_assets
from synth_assets.smart_home.patterns.mine import MinedPatterns, mine_pairs_and_chains
from synth_assets.smart_home.patterns.models import PatternConfig
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.training import graph
from synth_assets_tests.conftest import make_resources, make_settings
from synth_assets_tests.smart_home.events_world import World, world

UPSTREAM = [*home_assets.DIMENSION_ASSETS, *context_assets.CONTEXT_ASSETS, *event_assets.EVENT_ASSETS,
            *pattern_assets.PATTERN_ASSETS]
DIMENSIONS_AND_RULES = [*home_assets.KEYS.values(), event_assets.CORRELATIONS]
CONTEXT = [context_assets.KEYS[t] for t in event_assets.CONTEXT_TABLES]
MADE_BY_PREPARE = [*DIMENSIONS_AND_RULES, *CONTEXT, event_assets.EVENTS, pattern_assets.STATE_CHANGES,
                   pattern_assets.CO_OCCURRENCE,
                   pattern_assets.CHAINS]
"""What :func:`prepare` materializes (the window's days of the daily ones)."""


@dataclass(frozen=True)
class TrainingData:
    settings: SynthSettings
    smart_home: SmartHomeSettings
    day: date

    @property
    def resources(self) -> dict:
        return {**make_resources(self.settings), "smart_home": self.smart_home}


def prepare(root: Path, instance: dg.DagsterInstance, homes: int = 20, window_days: int = 3,
            day: date = date(2024, 1, 10), seed: int = 7) -> TrainingData:
    """Dimensions, correlations, context and events of the window, then the day's pattern tables, through Dagster."""
    settings = make_settings(root / "data", seed=seed)
    smart_home = SmartHomeSettings(homes=homes, pattern_window_days=window_days)
    data = TrainingData(settings, smart_home, day)
    first = day - timedelta(days=window_days - 1)
    span = {"dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": day.isoformat()}
    for selection, tags in ((DIMENSIONS_AND_RULES, None), (CONTEXT, span),
                             ([event_assets.EVENTS, pattern_assets.STATE_CHANGES], span)):
        result = dg.materialize(UPSTREAM, selection=selection, resources=data.resources, instance=instance, tags=tags)
        assert result.success
    assert dg.materialize(UPSTREAM, selection=[pattern_assets.CO_OCCURRENCE, pattern_assets.CHAINS],
                          resources=data.resources, instance=instance, partition_key=day.isoformat()).success
    return data


GRAPH_DAYS = [date(2024, 1, 8) + timedelta(days=i) for i in range(3)]


class SmallGraph(NamedTuple):
    world: World
    events: pl.DataFrame
    mined: MinedPatterns
    nodes: pl.DataFrame
    edges: pl.DataFrame


@lru_cache(maxsize=1)
def small_graph() -> SmallGraph:
    """Ten generated homes, three days of their events, the pairs and chains mined from them and the graph."""
    w = world(5, 10)
    events = pl.concat([w.events(day) for day in GRAPH_DAYS])
    mined = mine_pairs_and_chains(events, len(GRAPH_DAYS) * 86_400.0, PatternConfig(window_days=len(GRAPH_DAYS)))
    activity = graph.entity_activity(events, len(GRAPH_DAYS))
    nodes, edges = graph.device_graph(GRAPH_DAYS[-1], w.homes, w.entities, w.areas, activity, mined.co_occurrence,
                                      mined.chains)
    return SmallGraph(w, events, mined, nodes, edges)
