"""generation_jobs: a completed job behind every content item, plus the jobs that did not complete.

Completed jobs carry their item's prompt and finish the instant the item is created; the other
statuses (failed with an error message, cancelled, running, pending) are added so that completed
jobs are ``COMPLETED_SHARE`` of all jobs.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import polars as pl

from synth_assets.content import timeline
from synth_assets.content.items import (
    IMAGE_SIZES,
    JOB_MEDIAN_SECONDS,
    JOB_SIGMA,
    MODELS,
    QUEUE_MEAN_SECONDS,
    SAMPLERS,
    generate_content,
)
from synth_assets.content.models import OTHER_STATUS_SHARES, ContentConfig
from synth_assets.content.prompts import build_prompts
from synth_assets.content.users import generate_users, pick
from synth_assets.core.rng import rng_for

JOB_TYPE_SHARES = {"image_generation": 0.86, "image_variation": 0.09, "image_upscale": 0.05}
ERROR_MESSAGES = (
    "CUDA out of memory: tried to allocate 2.50 GiB (GPU 0; 23.65 GiB total capacity)",
    "Generation timed out after 300 s",
    "Prompt rejected by the content safety filter",
    "Model checkpoint failed to load: checksum mismatch",
    "Worker lost connection to the job queue",
    "Invalid parameters: steps must be between 1 and 150",
    "NaN encountered in latents at step 23; try a lower cfg_scale",
)
COLUMNS = ["id", "user_id", "job_type", "prompt", "parameters", "status", "content_id", "created_at",
           "started_at", "completed_at", "error_message"]


def _draw_parameters(rng: np.random.Generator, n: int) -> dict[str, object]:
    """Settings of a job that made no item, from the same choices as the items' settings."""
    size = pick(IMAGE_SIZES, rng, n).str.split("x")
    return {"width": size.list.first().cast(pl.Int32), "height": size.list.last().cast(pl.Int32),
            "steps": rng.integers(20, 51, n), "cfg_scale": np.round(rng.uniform(4.0, 12.0, n), 1),
            "sampler": pick(SAMPLERS, rng, n), "seed": rng.integers(0, 2**32, n, dtype=np.int64),
            "model": pick(MODELS, rng, n)}


@lru_cache(maxsize=8)
def generate_jobs(config: ContentConfig) -> pl.DataFrame:
    items = generate_content(config, "content_items")
    rng = rng_for(config.seed, "content", "generation_jobs")
    n_done = items.frame.height
    job_types = list(JOB_TYPE_SHARES)
    completed = pl.DataFrame({
        "id": timeline.uuid4_strings(rng, n_done),
        "user_id": items.frame["creator_id"],
        "job_type": pick(job_types, rng, n_done, p=list(JOB_TYPE_SHARES.values())),
        "prompt": items.frame["prompt"],
        "parameters": items.frame["item_metadata"],  # the settings that made the item
        "status": pl.repeat("completed", n_done, dtype=pl.String, eager=True),
        "content_id": items.frame["id"],
        "created_at": items.job_times["job_created_at"] if n_done else pl.Series([], dtype=pl.Datetime("us", "UTC")),
        "started_at": items.job_times["job_started_at"] if n_done else pl.Series([], dtype=pl.Datetime("us", "UTC")),
        "completed_at": items.frame["created_at"],
        "error_message": pl.repeat(None, n_done, dtype=pl.String, eager=True),
    })
    frames = [completed, _other_jobs(config, rng)] if config.other_jobs else [completed]
    jobs = pl.concat([f.select(COLUMNS) for f in frames], how="vertical")
    return jobs.sort("created_at", maintain_order=True)


def _other_jobs(config: ContentConfig, rng: np.random.Generator) -> pl.DataFrame:
    n = config.other_jobs
    users = generate_users(config).frame
    days = timeline.days_of(config.start, config.end)
    created = timeline.eastern_times(rng, days, timeline.allocate(n, timeline.day_weights(days)))
    statuses = np.repeat(list(OTHER_STATUS_SHARES), timeline.allocate(n, np.array(list(OTHER_STATUS_SHARES.values()))))
    statuses = pl.Series(statuses[rng.permutation(n)])
    available = timeline.existing_before(users["created_at"], created)
    user_index = np.floor(np.maximum(available, 1) * rng.random(n)).astype(np.int64)
    queued = rng.exponential(QUEUE_MEAN_SECONDS, n)
    ran = JOB_MEDIAN_SECONDS * np.exp(JOB_SIGMA * rng.standard_normal(n)) * rng.uniform(0.1, 1.0, n)
    frame = pl.DataFrame({
        "id": timeline.uuid4_strings(rng, n),
        "user_id": users["id"].gather(user_index),
        "job_type": pick(list(JOB_TYPE_SHARES), rng, n, p=list(JOB_TYPE_SHARES.values())),
        "prompt": build_prompts(rng_for(config.seed, "content", "generation_jobs", "prompts"), n,
                                config.domains)["prompt"],
        **_draw_parameters(rng, n),
        "status": statuses,
        "content_id": pl.repeat(None, n, dtype=pl.String, eager=True),
        "created_at": created,
        "queued": timeline.seconds(queued), "ran": timeline.seconds(ran),
        "error": pick(ERROR_MESSAGES, rng, n),
    })
    last = pl.lit(timeline.last_instant(config.end))
    started = pl.min_horizontal(pl.col("created_at") + pl.col("queued"), last)
    return frame.with_columns(
        parameters=pl.struct("width", "height", "steps", "cfg_scale", "sampler", "seed", "model").struct.json_encode(),
        started_at=pl.when(pl.col("status").is_in(["running", "failed"])).then(started),
        completed_at=pl.when(pl.col("status") == "failed").then(pl.min_horizontal(started + pl.col("ran"), last)),
        error_message=pl.when(pl.col("status") == "failed").then(pl.col("error")),
    )
