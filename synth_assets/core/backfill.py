"""The backfill policy of the big daily assets, chosen by the deployment when the code location loads.

``SYNTH_BACKFILL_POLICY`` = ``single_run`` (default: a laptop, a five-year backfill is one run and one
process) or ``multi_run`` (a cluster: the range is cut into runs of ``SYNTH_BACKFILL_CHUNK_DAYS`` days,
default 31, that the run coordinator queues and the run launcher starts in parallel). A backfill policy is
part of an asset's definition, so it is read when ``definitions.py`` is imported (like the content range in
:mod:`synth_assets.deployment`); a bad value stops the code location from loading with one sentence naming
the variable. Used by ``air_quality/hourly_measurements`` and ``smart_home/events``. Because every day is a
pure function of (seed, day, config), either policy writes the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

import dagster as dg
from pydantic import BaseModel, ConfigDict, Field, ValidationError

POLICY_ENV = "SYNTH_BACKFILL_POLICY"
CHUNK_ENV = "SYNTH_BACKFILL_CHUNK_DAYS"
DEFAULT_CHUNK_DAYS = 31  # a month per run: 59 runs for the five years 2020-2024


class BackfillSettings(BaseModel):
    """How a backfill of a daily asset is cut into runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: Literal["single_run", "multi_run"] = Field(
        default="single_run", description="single_run: one run for any range; multi_run: runs of chunk_days days.")
    chunk_days: int = Field(default=DEFAULT_CHUNK_DAYS, gt=0,
                            description="Days (partitions) per run under multi_run; must be at least 1.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BackfillSettings:
        """The settings of ``SYNTH_BACKFILL_POLICY`` / ``SYNTH_BACKFILL_CHUNK_DAYS`` (unset or empty: defaults);
        a bad value raises ``ValueError`` naming the variable, its value and what is allowed."""
        env = os.environ if environ is None else environ
        given: dict[str, object] = {}
        if env.get(POLICY_ENV):
            given["policy"] = env[POLICY_ENV].strip()
        if env.get(CHUNK_ENV):
            text = env[CHUNK_ENV].strip()
            try:
                given["chunk_days"] = int(text)
            except ValueError:
                raise ValueError(f"{CHUNK_ENV}={text!r} is not a whole number of days (e.g. 31)") from None
        try:
            return cls(**given)
        except ValidationError as exc:
            error = exc.errors()[0]
            variable = POLICY_ENV if error["loc"] == ("policy",) else CHUNK_ENV
            allowed = "single_run or multi_run" if variable == POLICY_ENV else "a number of days >= 1"
            raise ValueError(f"{variable}={env.get(variable)!r} is refused: {error['msg']} (give {allowed}; "
                             f"it sets the backfill policy of the daily assets when the code location loads)") from None

    def policy_definition(self) -> dg.BackfillPolicy:
        if self.policy == "single_run":
            return dg.BackfillPolicy.single_run()
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=self.chunk_days)


def daily_backfill_policy(environ: Mapping[str, str] | None = None) -> dg.BackfillPolicy:
    """The deployment's backfill policy for a daily asset (see the module docstring)."""
    return BackfillSettings.from_env(environ).policy_definition()
