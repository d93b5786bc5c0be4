"""The device graph: built from generated events and mined patterns (pure), checked, and through Dagster."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pytest

from synth_assets.smart_home import layout
from synth_assets.smart_home.patterns.models import OCCUPANCY_ENTITY
from synth_assets.smart_home.training import assets, graph
from synth_assets.smart_home.training.checks import edge_results, node_results
from synth_assets_tests.smart_home.training_data import GRAPH_DAYS, UPSTREAM, prepare, small_graph

DAYS = GRAPH_DAYS


@pytest.fixture(scope="module")
def built():
    return small_graph()


def _named(edges: pl.DataFrame, nodes: pl.DataFrame, edge_type: str) -> set[tuple[str, str, str]]:
    ids = nodes.select("node_id", "entity_id")
    named = (edges.filter(pl.col("edge_type") == edge_type)
             .join(ids.rename({"node_id": "source", "entity_id": "a"}), on="source")
             .join(ids.rename({"node_id": "target", "entity_id": "b"}), on="target"))
    return set(named.select("home_id", "a", "b").iter_rows())


def test_nodes_are_every_entity_and_the_occupancy_with_contiguous_ids_and_one_hot_domains(built):
    w, _, _, nodes, _ = built
    assert nodes.schema == pl.Schema(pl.from_arrow(graph.NODES_SCHEMA.empty_table()).schema)
    assert nodes["node_id"].to_list() == list(range(nodes.height))
    assert nodes.height == w.entities.height + w.homes.height
    occupancy = nodes.filter(pl.col("entity_id") == OCCUPANCY_ENTITY)
    assert sorted(occupancy["home_id"]) == sorted(w.homes["home_id"]) and set(occupancy["domain"]) == {"home"}
    one_hot = nodes.select(total=pl.sum_horizontal(graph.DOMAIN_FEATURES))["total"]
    assert (one_hot == 1).all()
    types = nodes.select("home_id", "graph_id", "home_type").unique().sort("graph_id")
    assert types["graph_id"].to_list() == list(range(w.homes.height))
    assert dict(types.select("home_id", "home_type").iter_rows()) == dict(w.homes.select("home_id", "home_type")
                                                                          .iter_rows())


def test_activity_counts_the_window_writes_and_changes_per_day(built):
    _, events, _, nodes, _ = built
    busiest = events.group_by("home_id", "entity_id").len().sort("len", descending=True).row(0, named=True)
    row = nodes.filter((pl.col("home_id") == busiest["home_id"]) & (pl.col("entity_id") == busiest["entity_id"]))
    assert row["writes_per_day"][0] == pytest.approx(busiest["len"] / len(DAYS))
    t0 = pl.datetime(2024, 1, 8, 12, time_zone="UTC")
    dimmed = pl.DataFrame({"home_id": ["h"] * 3, "entity_id": ["light.desk"] * 3, "state": ["on", "on", "off"],
                           "minute": [0, 5, 9]}).select(
        "home_id", "entity_id", "state", timestamp=t0 + pl.duration(minutes="minute"),
        last_changed=t0 + pl.duration(minutes=pl.when(pl.col("minute") == 5).then(0).otherwise("minute")))
    assert graph.entity_activity(dimmed, 2).rows() == [("h", "light.desk", 1.5, 1.0)]  # a brightness write
    assert (nodes.filter(pl.col("domain") == "home")["changes_per_day"] > 0).any()


def test_edges_are_the_mined_pairs_the_chain_links_and_both_directions_within_an_area(built):
    w, _, mined, nodes, edges = built
    pairs = {(h, a, b) for h, a, b in mined.co_occurrence.select("home_id", "entity_a", "entity_b").iter_rows()
             if a != b}
    assert pairs and _named(edges, nodes, "co_occurrence") == pairs
    links = set()
    for home, chain in mined.chains.select("home_id", "chain").iter_rows():
        links |= {(home, a, b) for a, b in zip(chain, chain[1:], strict=False) if a != b}
    assert links and _named(edges, nodes, "chain_link") == links
    per_area = w.entities.filter(pl.col("area_id").is_not_null()).group_by("home_id", "area_id").len()
    same_area = _named(edges, nodes, "same_area")
    assert len(same_area) == int((per_area["len"] * (per_area["len"] - 1)).sum())
    assert all((h, b, a) in same_area for h, a, b in same_area)
    best = mined.co_occurrence.sort("confidence", descending=True).row(0, named=True)
    edge = edges.filter(pl.col("edge_type") == "co_occurrence").sort("weight", descending=True).row(0, named=True)
    assert edge["weight"] == pytest.approx(best["confidence"])
    assert graph.edges_per_type(edges) == {t: edges.filter(pl.col("edge_type") == t).height for t in graph.EDGE_TYPES}


def test_checks_pass_on_the_graph_and_fail_on_broken_ones(built):
    w, _, _, nodes, edges = built
    assert all(r.passed for r in [*node_results(nodes, w.entities), *edge_results(edges, nodes)])
    other_home = nodes.filter(pl.col("home_id") != edges["home_id"][0])["node_id"][0]
    broken = pl.concat([edges, edges.head(1).with_columns(target=pl.lit(other_home, pl.Int64)),
                        edges.head(1).with_columns(target=pl.col("source"))])
    failed = {r.check_name for r in edge_results(broken, nodes) if not r.passed}
    assert failed == {"edge_target_is_a_node_of_its_home", "no_self_loops"}
    shifted = nodes.with_columns(node_id=pl.col("node_id") + 1).filter(pl.col("entity_id") != OCCUPANCY_ENTITY)
    failed = {r.check_name for r in node_results(shifted, w.entities) if not r.passed}
    assert failed == {"node_ids_contiguous"}
    missing = nodes.filter(pl.col("domain") != "light")
    assert not next(r for r in node_results(missing, w.entities) if r.check_name == "every_entity_is_a_node").passed


def test_a_pattern_naming_an_entity_the_home_lacks_is_refused(built):
    w, events, mined, _, _ = built
    stray = mined.co_occurrence.head(1).with_columns(entity_b=pl.lit("light.not_in_this_home"))
    with pytest.raises(graph.UnknownPatternEntityError, match="light.not_in_this_home"):
        graph.device_graph(DAYS[-1], w.homes, w.entities, w.areas, graph.entity_activity(events, 3),
                           pl.concat([mined.co_occurrence, stray]), mined.chains)


def test_device_graph_through_dagster_files_views_checks_and_a_missing_pattern_day(tmp_path, instance):
    data = prepare(tmp_path, instance, homes=6, window_days=2)
    result = dg.materialize([*UPSTREAM, *assets.TRAINING_ASSETS], selection=[assets.NODES, assets.EDGES],
                            resources=data.resources, instance=instance, partition_key=data.day.isoformat())
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert len(checks) == 8 and all(checks.values()), checks
    edges_meta = result.asset_materializations_for_node("device_graph")[1].metadata
    nodes_file = layout.daily_path(data.settings.data_path, graph.NODES_TABLE, data.day)
    edges_file = layout.daily_path(data.settings.data_path, graph.EDGES_TABLE, data.day)
    with duckdb.connect(str(data.settings.duckdb_path), read_only=True) as con:
        per_type = dict(con.execute("select edge_type, count(*) from smart_home.device_graph_edges group by 1")
                        .fetchall())
        homes = con.execute("select count(distinct home_id), max(node_id) + 1 = count(*) "
                            "from smart_home.device_graph_nodes").fetchone()
    assert nodes_file.exists() and edges_file.exists()
    assert {t: edges_meta[f"edges/{t}"].value for t in graph.EDGE_TYPES} == {t: per_type.get(t, 0)
                                                                             for t in graph.EDGE_TYPES}
    assert per_type["co_occurrence"] > 0 and homes == (6, True)

    next_day = data.day + timedelta(days=1)
    with pytest.raises(FileNotFoundError) as error:
        dg.materialize([*UPSTREAM, *assets.TRAINING_ASSETS], selection=[assets.NODES, assets.EDGES],
                       resources=data.resources, instance=instance, partition_key=next_day.isoformat())
    assert "co_occurrence_patterns" in str(error.value) and next_day.isoformat() in str(error.value)
    assert "dagster asset materialize" in str(error.value)
    assert not layout.daily_path(data.settings.data_path, graph.NODES_TABLE, next_day).exists()


def test_the_files_make_one_sparse_graph_whose_components_never_cross_homes(built):
    """What a GNN library builds from the edge_index (here scipy's COO matrix): n x n with n = the nodes, and
    every connected component inside one home's graph_id."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    _, _, _, nodes, edges = built
    n = nodes.height
    adjacency = coo_matrix((edges["weight"].to_numpy(), (edges["source"].to_numpy(), edges["target"].to_numpy())),
                           shape=(n, n))
    assert adjacency.shape == (n, n) and edges.select(pl.max_horizontal("source", "target").max()).item() < n
    features = nodes.select(graph.NODE_FEATURES).to_numpy()
    assert features.shape == (n, len(graph.NODE_FEATURES)) and not np.isnan(features).any()
    count, labels = connected_components(adjacency, directed=True, connection="weak")
    homes_per_component = (pl.DataFrame({"component": labels, "graph_id": nodes["graph_id"]})
                           .group_by("component").agg(pl.col("graph_id").n_unique()))
    assert count >= nodes["graph_id"].n_unique() and (homes_per_component["graph_id"] == 1).all()
