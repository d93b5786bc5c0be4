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
of the tests (measured on 20 homes x 28 days). The pairs carry the item codes of :mod:`.item_codes`; the
triangles are counted on them. Pure: no Dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synth_assets.smart_home.patterns.item_codes import ChangeIndex, contains, occurrence_keys
from synth_assets.smart_home.patterns.models import PatternConfig


def explain_away(tight: pl.DataFrame, passing: pl.DataFrame, changes: pl.DataFrame, found: pl.DataFrame,
                 config: PatternConfig) -> pl.DataFrame:
    """``tight`` pairs (those that may be reported) without the pairs a triangle explains. X -> Y must be
    tight (an automation's link is; the echo of two siblings' jitters is not), Z -> X may be any ``passing``
    pair (a door opened by hand between the unlock and the chime the door rings); only a tight Z is taken
    for a common cause."""
    keys = ["home_id", "item_a", "item_b"]
    z_y = tight.select("home_id", z="item_a", y="item_b", lag_zy="lag_seconds", code_z="code_a", code_y="code_b")
    z_x = passing.select("home_id", z="item_a", x="item_b", lag_zx="lag_seconds", code_x="code_b")
    x_y = tight.select("home_id", x="item_a", y="item_b")
    triangles = (z_x.join(z_y, on=["home_id", "z"]).filter(pl.col("x") != pl.col("y"))
                 .filter(pl.col("lag_zx") <= pl.col("lag_zy"))
                 .join(x_y, on=["home_id", "x", "y"])
                 .select("home_id", "z", "x", "y", "code_z", "code_x", "code_y"))
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
    without X while Y could change; ``x_alone``/``x_alone_followed``: changes of X without Z). Counted in
    numpy on the item codes (:mod:`.item_codes`): which items follow a change is a sorted search."""
    index = ChangeIndex(changes)
    code, codes = index.code, len(index.per_code)
    z, x, y = (triangles[c].to_numpy() for c in ("code_z", "code_x", "code_y"))
    row_a, row_b = found["row_a"].to_numpy(), found["row_b"].to_numpy()
    starts = np.zeros(codes, dtype=bool)
    starts[z], starts[x] = True, True
    of_start = starts[code[row_a]]
    follows = occurrence_keys(row_a[of_start], code[row_b[of_start]], codes)   # (row, item that followed it)
    is_x = np.zeros(codes, dtype=bool)
    is_x[x] = True
    of_x = is_x[code[row_b]]
    preceded = occurrence_keys(row_b[of_x], code[row_a[of_x]], codes)         # (row of X, item before it)
    # Z changed, X did not follow, Y could still change (not in its state already): does Y follow?
    which, rows = index.rows_of(z)
    z_trial = (~contains(follows, rows, x[which], codes)) & index.not_in_state(y[which], index.t[rows])
    z_hit = z_trial & contains(follows, rows, y[which], codes)
    # X changed without Z before it: does Y follow?
    which_x, rows_x = index.rows_of(x)
    x_trial = ~contains(preceded, rows_x, z[which_x], codes)
    x_hit = x_trial & contains(follows, rows_x, y[which_x], codes)
    n = triangles.height
    counts = triangles.drop("code_z", "code_x", "code_y").with_columns(
        z_alone=pl.Series(np.bincount(which, weights=z_trial, minlength=n).astype(np.int64)),
        z_alone_followed=pl.Series(np.bincount(which, weights=z_hit, minlength=n).astype(np.int64)),
        x_alone=pl.Series(np.bincount(which_x, weights=x_trial, minlength=n).astype(np.int64)),
        x_alone_followed=pl.Series(np.bincount(which_x, weights=x_hit, minlength=n).astype(np.int64)))
    enough_z = pl.col("z_alone") >= config.min_pair_support
    enough_x = pl.col("x_alone") >= config.min_pair_support
    share_z = pl.col("z_alone_followed") >= config.min_confidence * pl.col("z_alone")
    share_x = pl.col("x_alone_followed") >= config.min_confidence * pl.col("x_alone")
    return counts.with_columns(is_chain=pl.when(enough_z).then(~share_z).when(enough_x).then(share_x)
                               .otherwise(pl.lit(False)))
