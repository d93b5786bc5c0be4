"""The baseline classifier (pure) and the `training` job end to end through Dagster."""

from __future__ import annotations

import json

import dagster as dg
import numpy as np
import polars as pl
import pytest

from synth_assets.smart_home.training import assets, classifier, jobs
from synth_assets.smart_home.training.graph import EDGE_TYPES, NODE_DOMAINS
from synth_assets_tests.smart_home.training_data import UPSTREAM, prepare, small_graph


def _separable(per_class: dict[str, int], seed: int = 0, shift: float = 8.0) -> pl.DataFrame:
    """Features whose class is plain from the size of the graph (each class a shifted cloud), others zero."""
    rng = np.random.default_rng(seed)
    labels = [c for c, n in per_class.items() for _ in range(n)]
    codes = np.array([list(per_class).index(c) for c in labels], dtype=float)
    columns = {f: np.zeros(len(labels)) for f in classifier.FEATURES}   # the others hold nothing
    for size in ("nodes", "areas_with_entities", "edges_same_area"):
        columns[size] = rng.normal(0, 1, len(labels)) + shift * codes
    return pl.DataFrame({"home_id": [f"h{i:03d}" for i in range(len(labels))], "home_type": labels, **columns})


def test_home_features_count_nodes_domains_and_edges_per_home():
    w, _, _, nodes, edges = small_graph()
    features = classifier.home_features(nodes, edges)
    assert features.columns == ["home_id", "home_type", *classifier.FEATURES]
    assert features.height == w.homes.height
    first = features.row(0, named=True)
    home_nodes = nodes.filter(pl.col("home_id") == first["home_id"])
    home_edges = edges.filter(pl.col("home_id") == first["home_id"])
    assert first["nodes"] == home_nodes.height == sum(first[f"nodes_{d}"] for d in NODE_DOMAINS)
    assert [first[f"edges_{t}"] for t in EDGE_TYPES] == [home_edges.filter(pl.col("edge_type") == t).height
                                                          for t in EDGE_TYPES]
    assert first["mean_out_degree"] == pytest.approx(home_edges.height / home_nodes.height)
    assert first["areas_with_entities"] == home_nodes["area_id"].drop_nulls().n_unique()


def test_a_separable_problem_is_learnt_beats_the_majority_and_is_deterministic():
    features = _separable({"apartment": 30, "townhouse": 15, "single_family": 20})
    trained = classifier.train_home_type_classifier(features, random_state=3)
    metrics = trained.metrics
    assert metrics["accuracy"] == 1.0 and metrics["macro_f1"] == 1.0 and metrics["n_folds"] == 5
    assert metrics["majority_baseline_accuracy"] == pytest.approx(30 / 65)
    assert {c: m["support"] for c, m in metrics["per_class"].items()} == {"apartment": 30, "single_family": 20,
                                                                         "townhouse": 15}
    assert metrics["few_homes"] and "65 homes" in metrics["note"]
    assert classifier.train_home_type_classifier(features, random_state=3).metrics == metrics
    rng = np.random.default_rng(9)
    noise = features.with_columns(pl.col("nodes", "areas_with_entities", "edges_same_area")
                                  .map_batches(lambda s: pl.Series(rng.normal(0, 1, s.len()))))
    assert classifier.train_home_type_classifier(noise, random_state=3).metrics["accuracy"] < 0.9


@pytest.mark.parametrize("per_class", [{"apartment": 6, "townhouse": 5}, {"apartment": 6, "townhouse": 5, "large": 4}])
def test_the_stored_json_model_predicts_what_scikit_learn_fitted(per_class):
    features = _separable(per_class, shift=1.0)
    trained = classifier.train_home_type_classifier(features, random_state=1)
    stored = json.loads(json.dumps(trained.model))
    assert classifier.predict(stored, features) == trained.fitted_predictions
    assert len(set(trained.fitted_predictions)) > 1


def test_too_few_homes_or_types_are_refused_with_what_to_do():
    with pytest.raises(classifier.TrainingInputError, match="at least 2 types"):
        classifier.train_home_type_classifier(_separable({"apartment": 8}), random_state=0)
    with pytest.raises(classifier.TrainingInputError, match=r"\{'townhouse': 1\}.*SYNTH_SMART_HOME_HOMES"):
        classifier.train_home_type_classifier(_separable({"apartment": 8, "townhouse": 1}), random_state=0)


def test_the_random_state_comes_from_the_seed_and_day():
    assert classifier.training_random_state(7, "2024-01-10") == classifier.training_random_state(7, "2024-01-10")
    assert classifier.training_random_state(7, "2024-01-10") != classifier.training_random_state(8, "2024-01-10")


def _defs(resources: dict) -> dg.Definitions:
    return dg.Definitions(assets=[*UPSTREAM, *assets.TRAINING_ASSETS], jobs=[jobs.training_job], resources=resources)


def test_a_training_run_builds_the_graph_trains_and_records_metrics(tmp_path, instance):
    data = prepare(tmp_path, instance, homes=20, window_days=2)
    job = _defs(data.resources).resolve_job_def(jobs.TRAINING_JOB)
    result = job.execute_in_process(partition_key=data.day.isoformat(), instance=instance)
    assert result.success
    assert {e.check_name: e.passed for e in result.get_asset_check_evaluations()
            if e.asset_key == assets.CLASSIFIER} == {assets.MODEL_CHECK: True}
    (materialized,) = [m for m in result.get_asset_materialization_events()
                       if m.asset_key == assets.CLASSIFIER]
    meta = {k: v.value for k, v in materialized.materialization.metadata.items()}
    assert meta["n_homes"] == 20 and meta["few_homes"] is True and "20 homes" in meta["note"]
    assert 0 <= meta["majority_baseline_accuracy"] <= meta["accuracy"] <= 1 and 0 <= meta["macro_f1"] <= 1
    assert meta["majority_baseline_accuracy"] == pytest.approx(8 / 20)   # 8 apartments of 20 (4/2/3/1 per ten)
    path = assets.model_path(data.settings.data_path, data.day)
    stored = json.loads(path.read_text())
    assert stored["metrics"]["accuracy"] == meta["accuracy"] and stored["identity"]["seed"] == data.settings.seed
    assert stored["classes"] == ["apartment", "large_smart_home", "single_family", "townhouse"]
    first = path.read_bytes()
    assert job.execute_in_process(partition_key=data.day.isoformat(), instance=instance).success
    assert path.read_bytes() == first   # the same day retrained: the same model, byte for byte


def test_a_training_run_over_too_few_homes_fails_before_writing_a_model(tmp_path, instance):
    data = prepare(tmp_path, instance, homes=3, window_days=1)
    job = _defs(data.resources).resolve_job_def(jobs.TRAINING_JOB)
    with pytest.raises(classifier.TrainingInputError, match="at least 2 homes of each type"):
        job.execute_in_process(partition_key=data.day.isoformat(), instance=instance)
    assert not assets.model_path(data.settings.data_path, data.day).exists()
