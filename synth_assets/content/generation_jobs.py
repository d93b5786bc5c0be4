"""generation_jobs: the completed job behind every item of both content tables, plus the jobs that did not.

A day's jobs are, in global index order, the completed jobs of its content_items, those of its
content_items_auto, then its share of the other jobs (failed with an error message, cancelled,
running, pending), so that completed jobs are the share of all jobs nearest to ``COMPLETED_SHARE``
(:attr:`ContentConfig.generation_jobs`). A completed job has its item's prompt, settings and creator
and finishes the instant its item is created: those are recomputed from the item's own streams for the
item's global index (:func:`~synth_assets.content.items.item_basics`), not read from the items table.
Settings of every job come from one generator (:mod:`synth_assets.content.job_settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import polars as pl

from synth_assets.content import timeline
from synth_assets.content.allocation import allocate_content, concat_days, row_ids
from synth_assets.content.items import item_basics, item_choices, window_day_indices
from synth_assets.content.job_settings import draw_settings, settings_json
from synth_assets.content.models import CONTENT_TABLES, ITEM_REFERENCE, OTHER_STATUS_SHARES, ContentConfig
from synth_assets.content.prompts import assemble_prompts, draw_prompts
from synth_assets.content.users import user_times
from synth_assets.core.rng import rng_for

JOB_TYPE_SHARES = {"image_generation": 0.86, "image_variation": 0.09, "image_upscale": 0.05}
JOB_MEDIAN_SECONDS, JOB_SIGMA = 14.0, 0.6
QUEUE_MEAN_SECONDS = 6.0
ERROR_MESSAGES = (
    "CUDA out of memory: tried to allocate 2.50 GiB (GPU 0; 23.65 GiB total capacity)",
    "Generation timed out after 300 s",
    "Prompt rejected by the content safety filter",
    "Model checkpoint failed to load: checksum mismatch",
    "Worker lost connection to the job queue",
    "Invalid parameters: steps must be between 1 and 150",
    "NaN encountered in latents at step 23; try a lower cfg_scale",
)
STATUSES = ("completed", *OTHER_STATUS_SHARES)  # status codes: 0 completed, then the other statuses
COLUMNS = ["id", "user_id", "job_type", "prompt", "parameters", "status", "content_id", "auto_content_id",
           "created_at", "started_at", "completed_at", "error_message"]  # models.generation_jobs order
NO_TIME = np.iinfo(np.int64).min  # a time that is not set (NULL)


def _completed(config: ContentConfig, table: str, day_index: int, choices: bool) -> tuple[dict, dict, dict]:
    """The completed jobs of a day's items of ``table``: rows, and the prompt and settings draws (if ``choices``)."""
    day = allocate_content(config).days[day_index]
    basics = item_basics(config, table, day_index)
    prompts, settings = item_choices(config, table, day_index) if choices else ({}, {})
    n = basics["index"].size
    rng = rng_for(config.seed, "content", "generation_jobs", day, table)
    running = JOB_MEDIAN_SECONDS * np.exp(JOB_SIGMA * rng.standard_normal(n))
    queued = rng.exponential(QUEUE_MEAN_SECONDS, n)
    completed = basics["created_at"]
    room = (completed - timeline.day_start_us(day)) / 1e6
    scale = np.minimum(1.0, room / (running + queued))  # a job completing just after midnight was quick
    started = completed - timeline.seconds_us(running * scale)
    created = np.maximum(started - timeline.seconds_us(queued * scale), basics["creator_created_at"] + 1)
    rows = {"user": basics["creator"], "status": np.zeros(n, dtype=np.int8),
            "item_table": np.full(n, CONTENT_TABLES.index(table), dtype=np.int8), "item": basics["index"],
            "created_at": created, "started_at": np.maximum(started, created), "completed_at": completed,
            "error": np.full(n, -1, dtype=np.int8)}
    return rows, prompts, settings


def _others(config: ContentConfig, day_index: int) -> tuple[dict, dict, dict]:
    """The day's jobs that did not complete: a user who existed, a status, times that fit the status."""
    allocation = allocate_content(config)
    day, n = allocation.days[day_index], int(allocation.other_jobs.counts[day_index])
    rng = rng_for(config.seed, "content", "generation_jobs", day, "other")
    created = timeline.eastern_times_of_day(rng, day, n)
    existing = allocation.users.offsets[day_index] + np.searchsorted(user_times(config, day_index), created, "left")
    user = np.floor(np.maximum(existing, 1) * rng.random(n)).astype(np.int64)  # the admin included
    status = (1 + rng.choice(len(OTHER_STATUS_SHARES), n, p=list(OTHER_STATUS_SHARES.values()))).astype(np.int8)
    queued = timeline.seconds_us(rng.exponential(QUEUE_MEAN_SECONDS, n))
    ran = timeline.seconds_us(JOB_MEDIAN_SECONDS * np.exp(JOB_SIGMA * rng.standard_normal(n)) * rng.uniform(0.1, 1, n))
    error = rng.integers(0, len(ERROR_MESSAGES), n).astype(np.int8)
    last = timeline.last_instant_us(config.end)
    started = np.minimum(created + queued, last)
    has_started, failed = np.isin(status, [STATUSES.index("running"), STATUSES.index("failed")]), \
        status == STATUSES.index("failed")
    rows = {"user": user, "status": status, "item_table": np.full(n, -1, dtype=np.int8),
            "item": np.full(n, -1, dtype=np.int64), "created_at": created,
            "started_at": np.where(has_started, started, NO_TIME),
            "completed_at": np.where(failed, np.minimum(started + ran, last), NO_TIME),
            "error": np.where(failed, error, -1).astype(np.int8)}
    prompts = draw_prompts(rng_for(config.seed, "content", "generation_jobs", day, "other", "prompts"), n,
                           config.domains)
    settings = draw_settings(rng_for(config.seed, "content", "generation_jobs", day, "other", "settings"), n)
    return rows, prompts, settings


def _day(config: ContentConfig, day_index: int, item_choices_needed: bool) -> tuple[dict, dict, dict]:
    """A day's jobs in global index order; without ``item_choices_needed`` the draws are the other jobs' only."""
    parts = [_completed(config, table, day_index, item_choices_needed) for table in CONTENT_TABLES]
    parts.append(_others(config, day_index))
    rows = concat_days([part[0] for part in parts])
    draws = parts if item_choices_needed else parts[-1:]
    prompts, settings = (concat_days([part[k] for part in draws]) for k in (1, 2))
    day = allocate_content(config).days[day_index]
    rows["index"] = allocate_content(config).jobs.indices(day_index)
    rows["job_type"] = rng_for(config.seed, "content", "generation_jobs", day, "job_type").choice(
        len(JOB_TYPE_SHARES), rows["index"].size, p=list(JOB_TYPE_SHARES.values()))
    return rows, prompts, settings


def _timestamps(values: np.ndarray, name: str) -> pl.Series:
    series = timeline.utc_series(values, name)
    return series.set(pl.Series(values == NO_TIME), None) if (values == NO_TIME).any() else series


def _item_ids(config: ContentConfig, rows: dict, table: str) -> pl.Series:
    code = CONTENT_TABLES.index(table)
    made = rows["item_table"] == code
    ids = row_ids(config, table, np.where(made, rows["item"], 0))
    return ids.set(pl.Series(~made), None).alias(ITEM_REFERENCE[table])


def generate_jobs(config: ContentConfig, first: date | None = None, last: date | None = None,
                  items: Mapping[str, pl.DataFrame] | None = None) -> pl.DataFrame:
    """The jobs created on the Eastern days ``first``..``last`` (default: the whole range), day after day.

    ``items``, if given, are both content tables generated for the same days (``generate_content``): the
    completed jobs then take their prompts and settings from those rows instead of drawing them again,
    which gives the same bytes (a seed of the whole range saves the second prompt assembly).
    """
    codes = window_day_indices(config, first, last)
    days = [_day(config, code, items is None) for code in codes or [0]]
    rows, prompts, settings = (concat_days([day[k] for day in days]) for k in range(3))
    drawn = assemble_prompts(prompts)
    prompt, parameters = drawn["prompt"], settings_json(settings, drawn["domain"])
    if items is not None:
        prompt, parameters = _with_item_texts(config, codes or [0], rows, items, prompt, parameters)
    frame = pl.DataFrame({
        "id": row_ids(config, "generation_jobs", rows["index"]),
        "user_id": row_ids(config, "users", rows["user"]),
        "job_type": pl.Series(list(JOB_TYPE_SHARES), dtype=pl.String).gather(rows["job_type"]),
        "prompt": prompt,
        "parameters": parameters,
        "status": pl.Series(STATUSES, dtype=pl.String).gather(rows["status"]),
        **{ITEM_REFERENCE[table]: _item_ids(config, rows, table) for table in CONTENT_TABLES},
        "created_at": timeline.utc_series(rows["created_at"], "created_at"),
        "started_at": _timestamps(rows["started_at"], "started_at"),
        "completed_at": _timestamps(rows["completed_at"], "completed_at"),
        "error_message": pl.Series(ERROR_MESSAGES, dtype=pl.String).gather(np.maximum(rows["error"], 0))
        .set(pl.Series(rows["error"] < 0), None),
    }).select(COLUMNS)
    return frame if codes else frame.clear()


def _with_item_texts(config: ContentConfig, codes: list[int], rows: dict, items: Mapping[str, pl.DataFrame],
                     other_prompt: pl.Series, other_parameters: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Prompts and parameters of the window's jobs: a completed job's from its item's row in ``items``
    (rows of the same days, in global index order), the other jobs' as drawn."""
    allocation = allocate_content(config)
    start, position = 0, np.empty(rows["item"].size, dtype=np.int64)
    for code, table in enumerate(CONTENT_TABLES):
        first = allocation.items[table].offsets[codes[0]]
        expected = int(allocation.items[table].offsets[codes[-1] + 1] - first)
        if items[table].height != expected:
            raise ValueError(f"{table}: {items[table].height} rows given, the window has {expected}")
        made = rows["item_table"] == code
        position[made] = start + rows["item"][made] - first
        start += expected
    other = rows["item_table"] < 0
    position[other] = start + np.arange(int(other.sum()))
    prompt = pl.concat([*(items[t]["prompt"] for t in CONTENT_TABLES), other_prompt])
    parameters = pl.concat([*(items[t]["item_metadata"] for t in CONTENT_TABLES), other_parameters])
    return prompt.gather(position).alias("prompt"), parameters.gather(position).alias("parameters")
