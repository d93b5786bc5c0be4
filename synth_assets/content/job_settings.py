"""The settings of an image-generation job, drawn the same way for every job and every item.

One generator and one JSON shape: ``generation_jobs.parameters`` of every job and ``item_metadata`` of
every item (the settings of the job that made it) are ``{"width", "height", "model", "steps",
"cfg_scale", "sampler", "seed", "domain"}``. Draws are numpy arrays per day (:func:`draw_settings`);
the JSON is rendered once per window (:func:`settings_json`).

The values are estimates for a Stable-Diffusion-style service, not measurements: common SDXL/SD
resolutions, 20-50 sampling steps and CFG 4-12 (the usual ranges of the diffusers/AUTOMATIC1111 UIs),
and model shares that favour SDXL.
"""

from __future__ import annotations

import numpy as np
import polars as pl

IMAGE_SIZES = ((512, 512), (768, 768), (1024, 1024), (1024, 768), (768, 1024), (1216, 832), (832, 1216))
MODEL_SHARES = {"sdxl-1.0": 0.4, "sd-1.5": 0.2, "flux-dev": 0.2, "playground-v2.5": 0.1, "sd-3-medium": 0.1}
SAMPLERS = ("euler_a", "dpm++_2m_karras", "ddim", "dpm++_sde", "lcm")
STEPS = (20, 50)          # inclusive
CFG_SCALE = (4.0, 12.0)   # rounded to 0.1
SETTINGS_FIELDS = ("width", "height", "model", "steps", "cfg_scale", "sampler", "seed", "domain")
_MODELS = pl.Series(list(MODEL_SHARES), dtype=pl.String)
_SAMPLERS = pl.Series(SAMPLERS, dtype=pl.String)
_SIZES = np.array(IMAGE_SIZES, dtype=np.int32)


def draw_settings(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """The numeric choices of ``n`` jobs' settings (indices into the tables above, steps, cfg, seed)."""
    return {
        "size": rng.integers(0, len(IMAGE_SIZES), n).astype(np.int8),
        "model": rng.choice(len(MODEL_SHARES), n, p=list(MODEL_SHARES.values())).astype(np.int8),
        "steps": rng.integers(STEPS[0], STEPS[1] + 1, n).astype(np.int16),
        "cfg_scale": np.round(rng.uniform(*CFG_SCALE, n), 1),
        "sampler": rng.integers(0, len(SAMPLERS), n).astype(np.int8),
        "seed": rng.integers(0, 2**32, n, dtype=np.int64),
    }


def settings_json(draws: dict[str, np.ndarray], domain: pl.Series) -> pl.Series:
    """The settings as one JSON object per row, in the order of SETTINGS_FIELDS."""
    size = _SIZES[draws["size"]]
    return pl.DataFrame({
        "width": size[:, 0], "height": size[:, 1], "model": _MODELS.gather(draws["model"]),
        "steps": draws["steps"], "cfg_scale": draws["cfg_scale"], "sampler": _SAMPLERS.gather(draws["sampler"]),
        "seed": draws["seed"], "domain": domain,
    }).select(pl.struct(*SETTINGS_FIELDS).struct.json_encode().alias("settings")).to_series()

