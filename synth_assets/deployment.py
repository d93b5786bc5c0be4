"""What Dagster needs when the code location loads, read from the environment here and nowhere else.

Partition ranges are part of the definitions, so they are fixed when ``definitions.py`` is imported:
``SYNTH_CONTENT_START`` / ``SYNTH_CONTENT_END`` (YYYY-MM-DD, US-Eastern days) set the content
partitions. Every other setting (seed, data directory, modes, sizes, database URL) is resolved when a
run starts, from run config or the environment of the run (:mod:`synth_assets.core.env`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date

from synth_assets.content.models import DEFAULT_END, DEFAULT_START


def content_days(environ: Mapping[str, str] | None = None) -> tuple[date, date]:
    """First and last US-Eastern day of the content partitions."""
    env = os.environ if environ is None else environ
    try:
        start = date.fromisoformat(env.get("SYNTH_CONTENT_START") or DEFAULT_START.isoformat())
        end = date.fromisoformat(env.get("SYNTH_CONTENT_END") or DEFAULT_END.isoformat())
    except ValueError as exc:
        raise ValueError(f"SYNTH_CONTENT_START/END must be YYYY-MM-DD: {exc}") from None
    if end < start:
        raise ValueError(f"SYNTH_CONTENT_END {end} is before SYNTH_CONTENT_START {start}")
    return start, end
