"""A small baseline model of the training job: the home's type from graph-level features of its device graph.

scikit-learn (pinned in pyproject) does the work, not our own code: a standardised multinomial logistic
regression (lbfgs, deterministic), evaluated by stratified k-fold over whole homes (a home's graph is one
sample, so no home is in a fold's training and test part at once), against scikit-learn's majority-class
baseline evaluated in the same folds. The fitted model is returned as plain JSON (classes, features,
scaler, coefficients) that :func:`predict` applies with numpy alone. Pure: no Dagster, no I/O.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import polars as pl
import sklearn
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from synth_assets.core.rng import seed_sequence
from synth_assets.smart_home.training.graph import EDGE_TYPES, NODE_DOMAINS

MODEL_NAME = "home_type_classifier"
MAX_FOLDS = 5
MIN_HOMES_PER_TYPE = 2     # stratified k-fold needs two of each class for two folds
FEW_HOMES = 100            # below this the metrics are too uncertain to compare models by (estimate)
Z_95 = 1.959963984540054   # the normal quantile of a two-sided 95 % interval

FEATURES = (
    "nodes", "areas_with_entities", "levels",
    *(f"nodes_{d}" for d in NODE_DOMAINS),
    *(f"edges_{t}" for t in EDGE_TYPES),
    "mean_out_degree", "max_out_degree", "changes_per_day", "writes_per_day",
)
"""Graph-level features of a home, in the order of the model's coefficients."""


class TrainingInputError(ValueError):
    """Too few homes or home types to train and evaluate a classifier."""


class TrainedClassifier(NamedTuple):
    metrics: dict        # evaluation over the folds (JSON-able)
    model: dict          # the model fitted on every home (JSON-able; :func:`predict` applies it)
    predictions: pl.DataFrame   # home_id, home_type, predicted (out of fold)
    fitted_predictions: list[str]   # what the model fitted on every home predicts for each


def home_features(nodes: pl.DataFrame, edges: pl.DataFrame) -> pl.DataFrame:
    """One row per home: ``home_id``, ``home_type`` and :data:`FEATURES` from its nodes and edges."""
    per_home = nodes.group_by("home_id", "home_type").agg(
        nodes=pl.len(), areas_with_entities=pl.col("area_id").n_unique() - pl.col("area_id").null_count().clip(0, 1),
        levels=pl.col("level").drop_nulls().n_unique(),
        changes_per_day=pl.col("changes_per_day").sum(), writes_per_day=pl.col("writes_per_day").sum(),
        **{f"nodes_{d}": (pl.col("domain") == d).sum() for d in NODE_DOMAINS})
    per_type = edges.group_by("home_id").agg(**{f"edges_{t}": (pl.col("edge_type") == t).sum() for t in EDGE_TYPES})
    out_degree = (edges.group_by("home_id", "source").len()
                  .group_by("home_id").agg(max_out_degree=pl.col("len").max()))
    features = (per_home.join(per_type, on="home_id", how="left").join(out_degree, on="home_id", how="left")
                .with_columns(pl.col(f"edges_{t}" for t in EDGE_TYPES).fill_null(0),
                              pl.col("max_out_degree").fill_null(0)))
    features = features.with_columns(
        mean_out_degree=pl.sum_horizontal(*(pl.col(f"edges_{t}") for t in EDGE_TYPES)) / pl.col("nodes"))
    return features.select("home_id", "home_type", *(pl.col(f).cast(pl.Float64) for f in FEATURES)).sort("home_id")


def training_random_state(seed: int, day_key: str) -> int:
    """The folds' shuffle, from the run's seed and analysis day (core.rng: never hash() or the clock)."""
    return int(seed_sequence(seed, "smart_home", "training", MODEL_NAME, day_key).generate_state(1)[0])


def check_training_input(features: pl.DataFrame) -> dict[str, int]:
    """Homes per type; fewer than two types, or a type with fewer than two homes, is refused."""
    counts = dict(features.group_by("home_type").len().sort("home_type").iter_rows())
    if len(counts) < 2:
        raise TrainingInputError(
            f"a classifier of home type needs homes of at least 2 types; the device graph has {features.height} "
            f"home(s) of {len(counts)} type(s) {sorted(counts)}. Use more homes or types (SYNTH_SMART_HOME_HOMES, "
            f"home_types) and re-make the smart-home tables")
    rare = {t: n for t, n in counts.items() if n < MIN_HOMES_PER_TYPE}
    if rare:
        raise TrainingInputError(
            f"stratified k-fold needs at least {MIN_HOMES_PER_TYPE} homes of each type; {rare} have fewer "
            f"({features.height} homes in all). Use more homes (SYNTH_SMART_HOME_HOMES) or leave those types out")
    return counts


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion."""
    p, z2 = successes / n, Z_95 ** 2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def train_home_type_classifier(features: pl.DataFrame, random_state: int) -> TrainedClassifier:
    """Out-of-fold metrics of the classifier and of the majority baseline, and the model fitted on all homes."""
    counts = check_training_input(features)
    x = features.select(FEATURES).to_numpy()
    y = features["home_type"].to_numpy()
    classes = sorted(counts)
    folds = StratifiedKFold(n_splits=min(MAX_FOLDS, min(counts.values())), shuffle=True, random_state=random_state)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    predicted = cross_val_predict(model, x, y, cv=folds)
    baseline = cross_val_predict(DummyClassifier(strategy="most_frequent"), x, y, cv=folds)
    precision, recall, f1, support = precision_recall_fscore_support(y, predicted, labels=classes, zero_division=0)
    correct = int((predicted == y).sum())
    low, high = wilson_interval(correct, len(y))
    metrics = {
        "n_homes": len(y), "n_folds": folds.get_n_splits(), "classes": classes,
        "accuracy": float(accuracy_score(y, predicted)), "accuracy_95ci": [low, high],
        "macro_f1": float(f1_score(y, predicted, labels=classes, average="macro", zero_division=0)),
        "majority_baseline_accuracy": float(accuracy_score(y, baseline)),
        "majority_baseline_macro_f1": float(f1_score(y, baseline, labels=classes, average="macro", zero_division=0)),
        "per_class": {c: {"support": int(s), "precision": float(p), "recall": float(r), "f1": float(f)}
                      for c, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)},
        "confusion_matrix": confusion_matrix(y, predicted, labels=classes).tolist(),
        "few_homes": len(y) < FEW_HOMES,
        "note": (f"only {len(y)} homes: the 95 % interval of the accuracy is {low:.2f}-{high:.2f}; compare models "
                 f"on {FEW_HOMES}+ homes" if len(y) < FEW_HOMES else ""),
    }
    fitted = model.fit(x, y)
    scaler, logistic = fitted[0], fitted[-1]
    artefact = {"model": "StandardScaler + LogisticRegression (multinomial, lbfgs)",
                "library": f"scikit-learn {sklearn.__version__}", "features": list(FEATURES),
                "classes": [str(c) for c in logistic.classes_], "scaler_mean": scaler.mean_.tolist(),
                "scaler_scale": scaler.scale_.tolist(), "coef": logistic.coef_.tolist(),
                "intercept": logistic.intercept_.tolist(), "random_state": random_state}
    out_of_fold = features.select("home_id", "home_type").with_columns(predicted=pl.Series(predicted.tolist()))
    return TrainedClassifier(metrics, artefact, out_of_fold, [str(c) for c in fitted.predict(x)])


def predict(model: dict, features: pl.DataFrame) -> list[str]:
    """The home type the stored model gives each row of ``features`` (numpy only, no scikit-learn)."""
    x = (features.select(model["features"]).to_numpy() - np.asarray(model["scaler_mean"])) / np.asarray(
        model["scaler_scale"])
    scores = x @ np.asarray(model["coef"]).T + np.asarray(model["intercept"])
    if scores.shape[1] == 1:   # two classes: one decision function, positive for the second class
        scores = np.hstack([np.zeros_like(scores), scores])
    return [model["classes"][i] for i in scores.argmax(axis=1)]
