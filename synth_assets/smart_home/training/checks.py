"""Checks of the device graph, declared once with the builders of core.checks (all blocking).

Nodes: one node per entity (plus the home's occupancy), every entity of ``smart_home.entities`` a node,
``node_id`` = 0..n-1 in file order. Edges: both endpoints are nodes of the edge's own home, no self-loops,
one edge per (type, source, target), only the known edge types. Per-type counts go into the metadata.
"""

from __future__ import annotations

import dagster as dg
import polars as pl

from synth_assets.core.checks import Check, foreign_key, specs, unique_key, violations_result
from synth_assets.smart_home.training.graph import EDGE_TYPES, edges_per_type

ONE_NODE_PER_ENTITY = unique_key("one_node_per_entity", ("home_id", "entity_id"))
EVERY_ENTITY_A_NODE = foreign_key("every_entity_is_a_node", "key", "nodes", "key",
                                  rule="every entity of smart_home.entities is a node of its home")
NODE_IDS_CONTIGUOUS = Check("node_ids_contiguous", "node_id is 0..n-1 in file order and graph_id 0..homes-1 by home")
EDGE_SOURCE_IN_HOME = foreign_key("edge_source_is_a_node_of_its_home", "source_key", "nodes", "key",
                                  rule="every edge's source is a node of the edge's home")
EDGE_TARGET_IN_HOME = foreign_key("edge_target_is_a_node_of_its_home", "target_key", "nodes", "key",
                                  rule="every edge's target is a node of the edge's home")
NO_SELF_LOOPS = Check("no_self_loops", "no edge joins a node to itself")
ONE_EDGE_PER_TYPE_AND_PAIR = unique_key("one_edge_per_type_and_pair", ("edge_type", "source", "target"))
KNOWN_EDGE_TYPES = Check("known_edge_types", f"every edge_type is one of {', '.join(EDGE_TYPES)}")

NODE_CHECKS = (ONE_NODE_PER_ENTITY, EVERY_ENTITY_A_NODE, NODE_IDS_CONTIGUOUS)
EDGE_CHECKS = (EDGE_SOURCE_IN_HOME, EDGE_TARGET_IN_HOME, NO_SELF_LOOPS, ONE_EDGE_PER_TYPE_AND_PAIR, KNOWN_EDGE_TYPES)


def graph_specs(nodes_key: dg.AssetKey, edges_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [*specs(nodes_key, NODE_CHECKS), *specs(edges_key, EDGE_CHECKS)]


def _key(home: str, node: str) -> pl.Expr:
    return pl.col(home) + ":" + pl.col(node).cast(pl.String)


def node_results(nodes: pl.DataFrame, entities: pl.DataFrame) -> list[dg.AssetCheckResult]:
    node_keys = nodes.select(key=_key("home_id", "entity_id"))["key"]
    entity_keys = entities.select(key=_key("home_id", "entity_id"))
    graph_ids = nodes.select("home_id", "graph_id").unique().sort("home_id")
    gaps = (int((nodes["node_id"] != pl.int_range(nodes.height, eager=True)).sum())
            + int((graph_ids["graph_id"] != pl.int_range(graph_ids.height, eager=True)).sum())
            + (graph_ids.height - graph_ids["home_id"].n_unique()))
    return [ONE_NODE_PER_ENTITY.result(ONE_NODE_PER_ENTITY.count(nodes, {}), rows_checked=nodes.height),
            EVERY_ENTITY_A_NODE.result(EVERY_ENTITY_A_NODE.count(entity_keys, {"nodes": node_keys}),
                                       entities=entities.height),
            violations_result(NODE_IDS_CONTIGUOUS.name, {"out_of_place": gaps}, rule=NODE_IDS_CONTIGUOUS.rule,
                              nodes=nodes.height, graphs=graph_ids.height)]


def edge_results(edges: pl.DataFrame, nodes: pl.DataFrame) -> list[dg.AssetCheckResult]:
    node_keys = {"nodes": nodes.select(key=_key("home_id", "node_id"))["key"]}
    keyed = edges.with_columns(source_key=_key("home_id", "source"), target_key=_key("home_id", "target"))
    counts = {f"edges/{t}": n for t, n in edges_per_type(edges).items()}
    loops = int((edges["source"] == edges["target"]).sum())
    unknown = int((~edges["edge_type"].is_in(list(EDGE_TYPES))).sum())
    return [EDGE_SOURCE_IN_HOME.result(EDGE_SOURCE_IN_HOME.count(keyed, node_keys), **counts),
            EDGE_TARGET_IN_HOME.result(EDGE_TARGET_IN_HOME.count(keyed, node_keys), **counts),
            violations_result(NO_SELF_LOOPS.name, {"self_loops": loops}, rule=NO_SELF_LOOPS.rule),
            ONE_EDGE_PER_TYPE_AND_PAIR.result(ONE_EDGE_PER_TYPE_AND_PAIR.count(edges, {}), rows_checked=edges.height),
            violations_result(KNOWN_EDGE_TYPES.name, {"unknown_type": unknown}, rule=KNOWN_EDGE_TYPES.rule)]
