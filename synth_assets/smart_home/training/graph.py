"""The device graph of each home on an analysis day, as node and edge lists ready for a GNN library. Pure.

PyTorch Geometric and DGL take an ``edge_index`` of int64 node ids and a node feature matrix. One file
holds the graphs of every home as one disconnected graph: ``node_id`` runs 0..n-1 over the whole file in
(home_id, entity_id) order, ``graph_id`` 0..homes-1 is each node's home (PyG's ``batch`` vector), and every
edge joins two nodes of the same home. In PyG::

    x = torch.tensor(nodes.select(NODE_FEATURES).to_numpy())
    edge_index = torch.tensor(edges.select("source", "target").to_numpy().T)

Nodes are the home's entities plus its occupancy (:data:`~..patterns.models.OCCUPANCY_ENTITY`, domain
``home``: the virtual entity "everyone away" patterns start from). Edges (directed, in :data:`EDGE_TYPES`):

* ``co_occurrence``: A -> B for each mined pair of the day (``co_occurrence_patterns``); the pairs of one
  entity pair in several states are one edge: ``weight`` = the highest confidence, ``support`` their sum,
  ``lift`` the highest, ``lag_seconds`` that of the best-supported pair;
* ``same_area``: both directions between every two entities of one area (``weight`` 1);
* ``chain_link``: consecutive members of each mined chain (``chain_patterns``), ``support`` the highest
  support of a chain holding the link, ``weight`` 1.

No self-loops: a pair of one entity's own states (a chime ``playing`` -> ``idle``) is dropped.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pyarrow as pa

from synth_assets.smart_home.catalogue import DOMAINS
from synth_assets.smart_home.patterns.co_occurrence import occupancy_changes
from synth_assets.smart_home.patterns.models import OCCUPANCY_ENTITY

GRAPH_SCHEMA_VERSION = 1
GROUP = "smart_home_training"
NODES_TABLE, EDGES_TABLE = "device_graph_nodes", "device_graph_edges"
OCCUPANCY_DOMAIN = "home"
NODE_DOMAINS = (*DOMAINS, OCCUPANCY_DOMAIN)
EDGE_TYPES = ("co_occurrence", "same_area", "chain_link")
DOMAIN_FEATURES = tuple(f"domain_{d}" for d in NODE_DOMAINS)
NODE_FEATURES = (*DOMAIN_FEATURES, "writes_per_day", "changes_per_day")
"""The node feature matrix's columns, in order: one-hot domain, then activity over the window."""

NODES_SCHEMA = pa.schema([
    ("analysis_day", pa.date32()),
    ("node_id", pa.int64()),           # 0..n-1 over the file
    ("graph_id", pa.int64()),          # 0..homes-1, the home's graph
    ("home_id", pa.string()),
    ("home_type", pa.string()),        # the graph's label (smart_home.homes)
    ("entity_id", pa.string()),
    ("domain", pa.string()),
    ("device_class", pa.string()),
    ("area_id", pa.string()),          # null: phones, persons, the occupancy node
    ("level", pa.int8()),              # the area's floor (null without area)
    ("writes_per_day", pa.float64()),  # state writes per day in the window's events
    ("changes_per_day", pa.float64()), # state changes (last_changed == timestamp) per day
    *[(name, pa.float32()) for name in DOMAIN_FEATURES],
])

EDGES_SCHEMA = pa.schema([
    ("analysis_day", pa.date32()),
    ("home_id", pa.string()),
    ("edge_type", pa.string()),        # one of EDGE_TYPES
    ("source", pa.int64()),            # node_id
    ("target", pa.int64()),            # node_id of the same home
    ("weight", pa.float64()),          # co_occurrence: confidence; same_area, chain_link: 1
    ("support", pa.int32()),           # co_occurrence, chain_link: occurrences; same_area: null
    ("lift", pa.float64()),            # co_occurrence only
    ("lag_seconds", pa.float64()),     # co_occurrence, chain_link: median delay
])


class UnknownPatternEntityError(ValueError):
    """A pattern names an entity its home does not have: the pattern tables and entities disagree."""


def entity_activity(events: pl.DataFrame, days: int) -> pl.DataFrame:
    """``home_id``, ``entity_id``, ``writes_per_day``, ``changes_per_day`` over a window of ``days`` days of
    events (columns home_id, entity_id, timestamp, last_changed, state); the occupancy entity's changes are
    the home emptying and filling (persons' changes, as the miner counts them)."""
    events = events.lazy()
    is_change = pl.col("last_changed") == pl.col("timestamp")
    counts = events.group_by("home_id", "entity_id").agg(writes=pl.len(), changes=is_change.sum())
    persons = events.filter(is_change & pl.col("entity_id").str.starts_with("person.")).select(
        "home_id", "entity_id", t=pl.col("timestamp").dt.epoch("us"), item=pl.col("entity_id") + "=" + pl.col("state"))
    # one query each, in batches (a shared plan would cache the whole window's rows between them)
    counts, persons = counts.collect(engine="streaming"), persons.collect(engine="streaming")
    occupancy = (occupancy_changes(persons.sort("home_id", "t", "item")).group_by("home_id", "entity_id")
                 .agg(writes=pl.lit(0, pl.UInt32), changes=pl.len()))
    counts = pl.concat([counts.cast({"writes": pl.UInt32, "changes": pl.UInt32}),
                        occupancy.cast({"writes": pl.UInt32, "changes": pl.UInt32})])
    return counts.select("home_id", "entity_id", writes_per_day=pl.col("writes") / days,
                         changes_per_day=pl.col("changes") / days)


def graph_nodes(day: date, homes: pl.DataFrame, entities: pl.DataFrame, areas: pl.DataFrame,
                activity: pl.DataFrame) -> pl.DataFrame:
    """Every entity of every home plus one occupancy node per home, in :data:`NODES_SCHEMA`."""
    occupancy = homes.select("home_id", entity_id=pl.lit(OCCUPANCY_ENTITY), domain=pl.lit(OCCUPANCY_DOMAIN),
                             device_class=pl.lit(None, pl.String), area_id=pl.lit(None, pl.String))
    members = pl.concat([entities.select("home_id", "entity_id", "domain", "device_class", "area_id"), occupancy])
    unknown = members.filter(~pl.col("domain").is_in(NODE_DOMAINS))["domain"].unique().to_list()
    if unknown:
        raise ValueError(f"entities of domains {sorted(unknown)} have no one-hot column; known: {NODE_DOMAINS}")
    graph_ids = homes.select("home_id", "home_type").sort("home_id").with_row_index("graph_id")
    nodes = (members.join(graph_ids, on="home_id", how="inner")
             .join(areas.select("home_id", "area_id", "level"), on=["home_id", "area_id"], how="left")
             .join(activity, on=["home_id", "entity_id"], how="left")
             .sort("home_id", "entity_id")
             .with_row_index("node_id")
             .with_columns(pl.col("writes_per_day", "changes_per_day").fill_null(0.0),
                           *[(pl.col("domain") == d).cast(pl.Float32).alias(f"domain_{d}") for d in NODE_DOMAINS],
                           analysis_day=pl.lit(day)))
    return nodes.select(NODES_SCHEMA.names).cast({"node_id": pl.Int64, "graph_id": pl.Int64, "level": pl.Int8})


def _ids(nodes: pl.DataFrame, edges: pl.DataFrame, what: str) -> pl.DataFrame:
    """``entity_a``/``entity_b`` -> ``source``/``target`` node ids; an entity that is not a node is refused."""
    ids = nodes.select("home_id", "entity_id", "node_id")
    mapped = (edges.join(ids.rename({"entity_id": "entity_a", "node_id": "source"}), on=["home_id", "entity_a"],
                         how="left")
              .join(ids.rename({"entity_id": "entity_b", "node_id": "target"}), on=["home_id", "entity_b"],
                    how="left"))
    orphans = mapped.filter(pl.col("source").is_null() | pl.col("target").is_null())
    if orphans.height:
        sample = orphans.select("home_id", "entity_a", "entity_b").head(3).rows()
        raise UnknownPatternEntityError(
            f"{orphans.height} {what} name entities their home does not have in smart_home.entities (e.g. "
            f"{sample}); the pattern tables were mined from other homes or entities: re-make them with this "
            f"run's seed and smart-home settings")
    return mapped.filter(pl.col("source") != pl.col("target"))


def co_occurrence_edges(nodes: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    edges = _ids(nodes, pairs, "co-occurrence pairs")
    return (edges.group_by("home_id", "source", "target")
            .agg(weight=pl.col("confidence").max(), support=pl.col("support").sum(), lift=pl.col("lift").max(),
                 lag_seconds=pl.col("lag_seconds").sort_by("support").last())
            .with_columns(edge_type=pl.lit("co_occurrence")))


def same_area_edges(nodes: pl.DataFrame) -> pl.DataFrame:
    placed = nodes.filter(pl.col("area_id").is_not_null()).select("home_id", "area_id", "node_id")
    pairs = placed.join(placed, on=["home_id", "area_id"], suffix="_b").filter(pl.col("node_id") != pl.col("node_id_b"))
    return pairs.select("home_id", source="node_id", target="node_id_b", edge_type=pl.lit("same_area"),
                        weight=pl.lit(1.0), support=pl.lit(None, pl.Int64), lift=pl.lit(None, pl.Float64),
                        lag_seconds=pl.lit(None, pl.Float64))


def chain_link_edges(nodes: pl.DataFrame, chains: pl.DataFrame) -> pl.DataFrame:
    links = (chains.select("home_id", "support", "lag_seconds",
                           entity_a=pl.col("chain").list.slice(0, pl.col("length") - 1),
                           entity_b=pl.col("chain").list.slice(1))
             .explode("entity_a", "entity_b"))
    edges = _ids(nodes, links, "chain links")
    return (edges.group_by("home_id", "source", "target")
            .agg(support=pl.col("support").max(), lag_seconds=pl.col("lag_seconds").sort_by("support").last())
            .with_columns(edge_type=pl.lit("chain_link"), weight=pl.lit(1.0), lift=pl.lit(None, pl.Float64)))


def graph_edges(day: date, nodes: pl.DataFrame, pairs: pl.DataFrame, chains: pl.DataFrame) -> pl.DataFrame:
    """Every edge of every home in :data:`EDGES_SCHEMA`, ordered by (home, edge type, source, target)."""
    columns = ["home_id", "edge_type", "source", "target", "weight", "support", "lift", "lag_seconds"]
    parts = [co_occurrence_edges(nodes, pairs), same_area_edges(nodes), chain_link_edges(nodes, chains)]
    edges = pl.concat([part.select(columns).cast({"support": pl.Int32, "source": pl.Int64, "target": pl.Int64})
                       for part in parts])
    order = pl.DataFrame({"edge_type": EDGE_TYPES, "type_order": range(len(EDGE_TYPES))})
    return (edges.join(order, on="edge_type").sort("home_id", "type_order", "source", "target")
            .with_columns(analysis_day=pl.lit(day)).select(EDGES_SCHEMA.names))


def device_graph(day: date, homes: pl.DataFrame, entities: pl.DataFrame, areas: pl.DataFrame,
                 activity: pl.DataFrame, pairs: pl.DataFrame,
                 chains: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(nodes, edges) of every home's device graph on ``day``."""
    nodes = graph_nodes(day, homes, entities, areas, activity)
    return nodes, graph_edges(day, nodes, pairs, chains)


def edges_per_type(edges: pl.DataFrame) -> dict[str, int]:
    counts = dict(edges.group_by("edge_type").len().iter_rows())
    return {edge_type: int(counts.get(edge_type, 0)) for edge_type in EDGE_TYPES}
