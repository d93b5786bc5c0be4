"""Training assets (group ``smart_home_training``, daily by analysis day): the device graph and the baseline model.

``smart_home/device_graph_nodes`` + ``smart_home/device_graph_edges`` (one multi-asset, ``device_graph``):
every home's entities and their co-occurrence, same-area and chain-link edges (training.graph), from the
day's pattern tables and the window's events; ``smart_home/home_type_classifier``: a scikit-learn classifier
of home type trained on the graphs, its metrics as metadata, the model as JSON under
``<data_dir>/smart_home/models/``. A missing input is refused before anything is written.
"""


import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from synth_assets.core import files
from synth_assets.core import metadata as md
from synth_assets.core.identity import FileIdentity
from synth_assets.core.partitions import daily_partitions
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import (
    check_footer,
    read_parquet_checked,
    write_parquet_atomic,
    write_text_atomic,
)
from synth_assets.smart_home import layout
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.models import EVENTS_SCHEMA, SmartHomeConfig
from synth_assets.smart_home.patterns import window
from synth_assets.smart_home.patterns.layout import pattern_identity, read_pattern_day
from synth_assets.smart_home.patterns.models import CHAIN_SCHEMA, CO_OCCURRENCE_SCHEMA, PatternConfig
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.training import classifier, graph
from synth_assets.smart_home.training.checks import edge_results, graph_specs, node_results
from synth_assets.smart_home.views import publish_view

FAMILY = layout.FAMILY
GROUP = graph.GROUP
NODES = dg.AssetKey([FAMILY, graph.NODES_TABLE])
EDGES = dg.AssetKey([FAMILY, graph.EDGES_TABLE])
CLASSIFIER = dg.AssetKey([FAMILY, classifier.MODEL_NAME])
UPSTREAM = [dg.AssetKey([FAMILY, t]) for t in ("homes", "areas", "devices", "entities", "events",
                                                "co_occurrence_patterns", "chain_patterns")]
MODELS_DIR = "models"
MODEL_CHECK = "stored_model_predicts_like_the_fitted_one"
ACTIVITY_COLUMNS = ["home_id", "entity_id", "timestamp", "last_changed", "state"]


def _day(context: dg.AssetExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)



def window_activity(settings: SynthSettings, config: SmartHomeConfig, day: date, days: int) -> pl.DataFrame:
    """Writes and changes per day of every entity over the analysis window; every day's file is there and
    checked (seed, config, schema) before any is read, and only the columns the counts need are read."""
    window_days = window.window_days(day, days)
    window.require_event_days(settings.data_path, day, window_days)
    identity = layout.table_identity("events", config, EVENTS_SCHEMA_VERSION)
    paths = [layout.daily_path(settings.data_path, "events", d) for d in window_days]
    for d, path in zip(window_days, paths, strict=True):
        check_footer(path, EVENTS_SCHEMA, f"re-make it: {window.events_command(d, d)}", identity)
    events = files.scan_parquet(paths).select(ACTIVITY_COLUMNS)
    return graph.entity_activity(events, len(window_days))


def graph_identity(table: str, config: SmartHomeConfig, patterns: PatternConfig) -> FileIdentity:
    return pattern_identity(table, config, patterns, graph.GRAPH_SCHEMA_VERSION)


def read_graph(settings: SynthSettings, config: SmartHomeConfig, patterns: PatternConfig,
               day: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The day's device graph (nodes, edges), refused if missing or made with other settings."""
    frames = []
    for table, schema in ((graph.NODES_TABLE, graph.NODES_SCHEMA), (graph.EDGES_TABLE, graph.EDGES_SCHEMA)):
        command = (f"dagster asset materialize -m synth_assets.definitions --select "
                   f"'smart_home/{graph.NODES_TABLE},smart_home/{graph.EDGES_TABLE}' --partition {day.isoformat()}")
        path = layout.daily_path(settings.data_path, table, day)
        if not path.exists():
            raise FileNotFoundError(f"smart_home.{table} has no analysis day {day.isoformat()} ({path}). "
                                    f"Make it with: {command}")
        frames.append(pl.from_arrow(read_parquet_checked(path, schema, identity=graph_identity(table, config, patterns),
                                                         fix=f"re-run: {command}")))
    return frames[0], frames[1]


def _publish(settings: SynthSettings, table: str, schema, frame: pl.DataFrame, day: date,
             identity: FileIdentity) -> dict:
    path = layout.daily_path(settings.data_path, table, day)
    written = write_parquet_atomic(frame.to_arrow(), path, schema=schema, identity=identity)
    view = publish_view(settings, table, layout.daily_glob(settings.data_path, table), expected=schema,
                        identity=identity, fix=f"materialize smart_home/{table} with this run's settings")
    return {**md.table_metadata(schema, written.rows, frame.head(8)), "path": str(path), "table": f"{FAMILY}.{table}",
            "duckdb_view": view}


@dg.multi_asset(
    name="device_graph", group_name=GROUP, partitions_def=daily_partitions, pool="duckdb",
    specs=[dg.AssetSpec(NODES, deps=UPSTREAM, kinds={"polars", "parquet", "duckdb"},
                        description="Device graph nodes for a GNN: every entity of every home plus its occupancy, "
                                    "node_id 0..n-1 per file, graph_id per home, home_type label, one-hot domain "
                                    "and activity (writes and changes per day over the window) as features."),
           dg.AssetSpec(EDGES, deps=UPSTREAM, kinds={"polars", "parquet", "duckdb"},
                        description="Device graph edges (int64 source -> target node ids, an edge_index) of type "
                                    "co_occurrence (weight = confidence), same_area (both directions) and "
                                    "chain_link (consecutive chain members); no self-loops.")],
    check_specs=graph_specs(NODES, EDGES))
def device_graph(context: dg.AssetExecutionContext, settings: SynthSettings, smart_home: SmartHomeSettings):
    day = _day(context)
    config, patterns = smart_home.config(settings.seed), smart_home.patterns()
    pairs = read_pattern_day(settings.data_path, "co_occurrence_patterns", day, CO_OCCURRENCE_SCHEMA,
                             pattern_identity("co_occurrence_patterns", config, patterns))
    chains = read_pattern_day(settings.data_path, "chain_patterns", day, CHAIN_SCHEMA,
                              pattern_identity("chain_patterns", config, patterns))
    homes, areas, entities = (layout.read_made(settings.data_path, t, config) for t in ("homes", "areas", "entities"))
    activity = window_activity(settings, config, day, patterns.window_days)
    nodes, edges = graph.device_graph(day, homes, entities, areas, activity, pairs, chains)
    per_type = graph.edges_per_type(edges)
    nodes_meta = _publish(settings, graph.NODES_TABLE, graph.NODES_SCHEMA, nodes, day,
                          graph_identity(graph.NODES_TABLE, config, patterns))
    edges_meta = _publish(settings, graph.EDGES_TABLE, graph.EDGES_SCHEMA, edges, day,
                          graph_identity(graph.EDGES_TABLE, config, patterns))
    per_home = (edges.group_by("home_id", "edge_type").len()
                .pivot(on="edge_type", index="home_id", values="len").sort("home_id"))
    context.log.info(f"device graph {day}: {nodes.height:,} nodes, {edges.height:,} edges {per_type}")
    yield dg.MaterializeResult(asset_key=NODES, metadata={
        **nodes_meta, "homes": homes.height, "node_features": ", ".join(graph.NODE_FEATURES)})
    yield dg.MaterializeResult(asset_key=EDGES, metadata={
        **edges_meta, **{f"edges/{t}": n for t, n in per_type.items()},
        "edges_per_home_by_type": md.markdown_preview(per_home, rows=20)})
    yield from [r._replace(asset_key=NODES) for r in node_results(nodes, entities)]
    yield from [r._replace(asset_key=EDGES) for r in edge_results(edges, nodes)]


def model_path(data_dir: Path, day: date) -> Path:
    return layout.family_path(data_dir) / MODELS_DIR / classifier.MODEL_NAME / f"{day:%Y}" / f"{day:%Y-%m-%d}.json"


def write_json_atomic(document: dict, path: Path) -> int:
    """``document`` as canonical JSON (sorted keys) at ``path``, through a temporary file and a rename."""
    return write_text_atomic(path, json.dumps(document, sort_keys=True, indent=1) + "\n")


def _per_class(metrics: dict) -> dg.MarkdownMetadataValue:
    rows = [{"home_type": c, **{k: round(v, 3) if isinstance(v, float) else v for k, v in m.items()}}
            for c, m in metrics["per_class"].items()]
    return md.markdown_preview(pl.DataFrame(rows), rows=10)


def _confusion(metrics: dict) -> dg.MarkdownMetadataValue:
    classes = metrics["classes"]
    frame = pl.DataFrame({"true \\ predicted": classes,
                          **{c: [row[i] for row in metrics["confusion_matrix"]] for i, c in enumerate(classes)}})
    return md.markdown_preview(frame, rows=10)


@dg.asset(key=CLASSIFIER, group_name=GROUP, partitions_def=daily_partitions, deps=[NODES, EDGES],
          kinds={"scikitlearn", "json"},
          check_specs=[dg.AssetCheckSpec(MODEL_CHECK, asset=CLASSIFIER, blocking=True,
                                         description="the stored JSON model gives every home the type the fitted "
                                                     "scikit-learn model gives it")],
          description="A baseline classifier of home type (scikit-learn logistic regression on graph-level features "
                      "of each home's device graph: nodes per domain, edges per type, degrees, activity), evaluated "
                      "by stratified k-fold over whole homes against the majority class; metrics as metadata, the "
                      "model as JSON under <data_dir>/smart_home/models/.")
def home_type_classifier(context: dg.AssetExecutionContext, settings: SynthSettings,
                         smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    day = _day(context)
    config, patterns = smart_home.config(settings.seed), smart_home.patterns()
    nodes, edges = read_graph(settings, config, patterns, day)
    features = classifier.home_features(nodes, edges)
    trained = classifier.train_home_type_classifier(features, classifier.training_random_state(config.seed,
                                                                                               day.isoformat()))
    identity = pattern_identity(classifier.MODEL_NAME, config, patterns, graph.GRAPH_SCHEMA_VERSION)
    path = model_path(settings.data_path, day)
    size = write_json_atomic({"identity": asdict(identity), "analysis_day": day.isoformat(), **trained.model,
                              "metrics": trained.metrics}, path)
    stored = classifier.predict(json.loads(files.read_text(path)), features)
    fitted = trained.fitted_predictions
    differ = sum(a != b for a, b in zip(stored, fitted, strict=True))
    metrics = trained.metrics
    context.log.info(f"{classifier.MODEL_NAME} {day}: accuracy {metrics['accuracy']:.3f} (majority "
                     f"{metrics['majority_baseline_accuracy']:.3f}), macro-F1 {metrics['macro_f1']:.3f} over "
                     f"{metrics['n_homes']} homes -> {path}")
    low, high = metrics["accuracy_95ci"]
    return dg.MaterializeResult(
        metadata={"accuracy": metrics["accuracy"], "accuracy_95ci": f"{low:.3f}-{high:.3f}",
                  "macro_f1": metrics["macro_f1"], "majority_baseline_accuracy": metrics["majority_baseline_accuracy"],
                  "majority_baseline_macro_f1": metrics["majority_baseline_macro_f1"],
                  "n_homes": metrics["n_homes"], "n_folds": metrics["n_folds"], "few_homes": metrics["few_homes"],
                  "note": metrics["note"] or "-", "per_class": _per_class(metrics),
                  "confusion_matrix": _confusion(metrics), "features": ", ".join(classifier.FEATURES),
                  "model": trained.model["model"], "library": trained.model["library"],
                  "model_path": dg.MetadataValue.path(str(path)), "model_bytes": size},
        check_results=[dg.AssetCheckResult(
            check_name=MODEL_CHECK, passed=differ == 0,
            description=f"{differ} of {len(stored)} homes predicted differently by the stored model",
            metadata={"homes": len(stored), "differ": differ})])


TRAINING_ASSETS = [device_graph, home_type_classifier]
