"""Triangles explained away: which of three passing pairs are only a chain's shortcut or a common cause's echo.

When Z -> X, Z -> Y and X -> Y all pass (X's lag after Z no longer than Y's), either X causes Y (a
chain: Z -> Y is only transitive) or Z causes both (siblings: X -> Y only echoes their common cause).
They differ in what happens when Z changes but X does not (X is already in its state): siblings still
see Y follow whenever Y can change; in a chain Y waits for X. That is tested first. When such changes
of Z are too few, what X does without Z decides: in a chain, X changed by hand is still followed by Y
When neither has enough changes, the triangle is read as
siblings: X -> Y is dropped, the direct pairs stay. A condition both siblings share and the miner cannot
see (the light level that holds two motion lights back by day) makes siblings look like a chain when
one reacts much faster than the other; on the generator's homes that costs less than the other order
of the tests (measured on 20 homes x 28 days). Pure: no Dagster.
"""

from __future__ import annotations

import polars as pl

from synth_assets.smart_home.patterns.models import PatternConfig

_STATE = r"^.*?=(.*)$"
_ENTITY = r"^(.*?)="


def explain_away(tight: pl.DataFrame, passing: pl.DataFrame, changes: pl.DataFrame, found: pl.DataFrame,
                 config: PatternConfig) -> pl.DataFrame:
    """``tight`` pairs (those that may be reported) without the pairs a triangle explains. X -> Y must be
    tight (an automation's link is; the echo of two siblings' jitters is not), Z -> X may be any ``passing``
    pair (a door opened by hand between the unlock and the chime the door rings); only a tight Z is taken
    for a common cause."""
    keys = ["home_id", "item_a", "item_b"]
    z_y = tight.select("home_id", z="item_a", y="item_b", lag_zy="lag_seconds")
    z_x = passing.select("home_id", z="item_a", x="item_b", lag_zx="lag_seconds")
    x_y = tight.select("home_id", x="item_a", y="item_b")
    triangles = (z_x.join(z_y, on=["home_id", "z"]).filter(pl.col("x") != pl.col("y"))
                 .filter(pl.col("lag_zx") <= pl.col("lag_zy"))
                 .join(x_y, on=["home_id", "x", "y"])
                 .select("home_id", "z", "x", "y"))
    if triangles.is_empty():
        return tight
    tight_keys = tight.select("home_id", "item_a", "item_b")
    all_tight = (triangles.join(tight_keys.rename({"item_a": "z", "item_b": "x"}), on=["home_id", "z", "x"], how="semi")
                 .with_columns(all_tight=pl.lit(True)))
    verdicts = (triangle_verdicts(triangles, changes, found, config)
                .join(all_tight, on=["home_id", "z", "x", "y"], how="left")
                .with_columns(pl.col("all_tight").fill_null(False)))
    dropped = pl.concat([verdicts.filter(pl.col("is_chain")).select("home_id", item_a="z", item_b="y"),
                         verdicts.filter(~pl.col("is_chain") & pl.col("all_tight"))
                         .select("home_id", item_a="x", item_b="y")]).unique()
    return tight.join(dropped, on=keys, how="anti").sort(keys)


def triangle_verdicts(triangles: pl.DataFrame, changes: pl.DataFrame, found: pl.DataFrame,
                      config: PatternConfig) -> pl.DataFrame:
    """Per triangle: ``is_chain`` with the counts behind it (``z_alone``/``z_alone_followed``: changes of Z
    without X while Y could change; ``x_alone``/``x_alone_followed``: changes of X without Z)."""
    items = changes.select("row", "home_id", "item", "t")
    z_rows = triangles.join(items.rename({"item": "z", "row": "row_z"}), on=["home_id", "z"])
    x_rows = triangles.join(items.rename({"item": "x", "row": "row_x"}).drop("t"), on=["home_id", "x"])
    relevant = pl.concat([z_rows.select(row_a="row_z"), x_rows.select(row_a="row_x")]).unique()
    follows = (found.join(relevant, on="row_a", how="semi")
               .join(items.select(row_b="row", item_b="item"), on="row_b")
               .select("row_a", "item_b").unique())
    preceded = (found.join(x_rows.select(row_b="row_x").unique(), on="row_b", how="semi")
                .join(items.select(row_a="row", item_a="item"), on="row_a")
                .select(row_x="row_b", z="item_a").unique())
    hit = pl.lit(True)
    # Z changed, X did not follow: does Y follow?
    z_trials = (z_rows.join(follows.select(row_z="row_a", x="item_b"), on=["row_z", "x"], how="anti")
                .join(follows.select(row_z="row_a", y="item_b", y_followed=hit), on=["row_z", "y"], how="left"))
    # X changed without Z before it: does Y follow?
    x_trials = (x_rows.join(preceded, on=["row_x", "z"], how="anti")
                .join(items.select(row_x="row", t="t"), on="row_x")
                .join(follows.select(row_x="row_a", y="item_b", y_followed=hit), on=["row_x", "y"], how="left"))
    # ... Z's counted only where Y could still change (it is not in that state already)
    z_trials = _where_open(z_trials, changes).group_by("home_id", "z", "x", "y").agg(
        z_alone=pl.len(), z_alone_followed=pl.col("y_followed").fill_null(False).sum())
    x_trials = x_trials.group_by("home_id", "z", "x", "y").agg(
        x_alone=pl.len(), x_alone_followed=pl.col("y_followed").fill_null(False).sum())
    counts = (triangles.join(z_trials, on=["home_id", "z", "x", "y"], how="left")
              .join(x_trials, on=["home_id", "z", "x", "y"], how="left")
              .with_columns(pl.col("z_alone", "z_alone_followed", "x_alone", "x_alone_followed").fill_null(0)))
    enough_z = pl.col("z_alone") >= config.min_pair_support
    enough_x = pl.col("x_alone") >= config.min_pair_support
    share_z = pl.col("z_alone_followed") >= config.min_confidence * pl.col("z_alone")
    share_x = pl.col("x_alone_followed") >= config.min_confidence * pl.col("x_alone")
    return counts.with_columns(is_chain=pl.when(enough_z).then(~share_z).when(enough_x).then(share_x)
                               .otherwise(pl.lit(False)))


def _where_open(trials: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """The trials (``home_id``, ``y``, ``t``) at which Y's entity was not already in Y's state."""
    trials = trials.with_columns(entity_y=pl.col("y").str.extract(_ENTITY, 1),
                                 y_state=pl.col("y").str.extract(_STATE, 1)).sort("t")
    states = (changes.select("home_id", entity_y="entity_id", t_state="t", state=pl.col("item").str.extract(_STATE, 1))
              .join(trials.select("home_id", "entity_y").unique(), on=["home_id", "entity_y"], how="semi")
              .sort("t_state"))
    return (trials.join_asof(states, left_on="t", right_on="t_state", by=["home_id", "entity_y"],
                             strategy="backward", allow_exact_matches=False, check_sortedness=False)
            .filter(pl.col("state").is_null() | (pl.col("state") != pl.col("y_state"))))
