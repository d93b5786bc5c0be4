"""``smart_home.homes``: where each home is, what kind it is, who lives there and their routines.

Every value of home ``i`` comes from the stream ``(seed, "smart_home", "homes", i)``, a fixed number of
words per home, except its type: types are dealt in blocks of ten consecutive homes at the types'
shares (:func:`stratified_types`). Either way adding homes never changes the homes that exist. Cities
are the air-quality family's 300 real cities, drawn in proportion to population. Pure: no Dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.core.rng import box_muller, index_words, raw_blocks, to_uniform
from synth_assets.smart_home.models import (
    CHILD_SHARE_OF_EXTRA_OCCUPANTS,
    HOME_ID_DIGITS,
    HOME_RADIUS_KM,
    HOME_TYPES,
    HOMES_SCHEMA,
    MAX_OCCUPANTS,
    OCCUPANT_NAMES,
    ROUTINES,
    SHIFT_WORK_SHARE,
    VACATION_DAYS,
    WORK_FROM_HOME_DAY_WEIGHTS,
    SmartHomeConfig,
)

FAMILY = "smart_home"
HOME_WORDS = 32
KM_PER_DEGREE = 111.32
_NAME_STEP_MAX = 5  # successive occupants' names are 1..5 places apart in OCCUPANT_NAMES: never repeated
TYPE_BLOCK = 10     # home types are dealt in blocks of ten consecutive homes, each block at the types' shares


def home_ids(indices: np.ndarray) -> pl.Series:
    """``home_00001`` for index 1 (1-based)."""
    digits = pl.Series("home_id", indices, dtype=pl.Int32).cast(pl.String).str.zfill(HOME_ID_DIGITS)
    return pl.select(pl.lit("home_") + digits).to_series().alias("home_id")


def home_words(seed: int, table: str, home_index: int, n_blocks: int, words_per_block: int) -> np.ndarray:
    """Words of stream ``(seed, "smart_home", table, home_index)``: blocks ``0 .. n_blocks``."""
    return raw_blocks(seed, (FAMILY, table, int(home_index)), 0, n_blocks, words_per_block)


def home_uniforms(seed: int, table: str, indices: np.ndarray, n_words: int) -> np.ndarray:
    """``(len(indices), n_words)`` uniforms in (0, 1), one row per home from that home's own stream."""
    if len(indices) == 0:
        return np.empty((0, n_words))
    return to_uniform(np.vstack([home_words(seed, table, i, 1, n_words) for i in indices]))


def _pick(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index drawn with ``weights`` (rows of a matrix, or one vector for all) by inverse CDF."""
    cumulative = np.cumsum(weights, axis=-1)
    cumulative = cumulative / cumulative[..., -1:]
    if cumulative.ndim == 1:
        return np.minimum(np.searchsorted(cumulative, u, side="right"), len(cumulative) - 1)
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), cumulative.shape[1] - 1)


def block_quota(shares: np.ndarray, block: int = TYPE_BLOCK) -> np.ndarray:
    """How many homes of each type a block holds: the shares of ``block`` by largest remainder."""
    exact = np.asarray(shares, dtype=float) / np.sum(shares) * block
    counts = np.floor(exact).astype(np.int64)
    remainder_order = np.argsort(-(exact - counts), kind="stable")
    counts[remainder_order[:block - counts.sum()]] += 1
    return counts


def stratified_types(seed: int, indices: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """The type (position in ``shares``) of each 1-based home index.

    Homes ``10k+1 .. 10k+10`` share out the block's quota (:func:`block_quota`) in an order keyed by
    their own words: any ten consecutive homes hold the types at their shares (a demo of 20 homes has
    every type), and a home's type depends only on its block, so adding homes changes no home."""
    indices = np.asarray(indices, dtype=np.int64)
    if indices.size == 0:
        return np.empty(0, dtype=np.int64)
    quota = np.repeat(np.arange(len(shares)), block_quota(shares))
    blocks = np.unique((indices - 1) // TYPE_BLOCK)
    members = (blocks[:, None] * TYPE_BLOCK + 1 + np.arange(TYPE_BLOCK)).ravel()   # whole blocks, always
    words = index_words(seed, (FAMILY, "homes", "home_type"), members, 1)[:, 0]
    order = np.lexsort((words, np.repeat(blocks, TYPE_BLOCK)))
    rank = np.empty(members.size, dtype=np.int64)
    rank[order] = np.tile(np.arange(TYPE_BLOCK), blocks.size)
    position = np.searchsorted(members, indices)
    return quota[rank[position]]


def _routine(normal: np.ndarray, name: str) -> np.ndarray:
    mean, sd, low, high = ROUTINES[name]
    return np.clip(np.round(mean + sd * normal), low, high).astype(np.int16)


def generate_homes(config: SmartHomeConfig, cities: pl.DataFrame) -> pl.DataFrame:
    """Homes ``1 .. config.homes`` in the ``HOMES_SCHEMA`` column order, sorted by ``home_index``."""
    indices = np.arange(1, config.homes + 1)
    u = home_uniforms(config.seed, "homes", indices, HOME_WORDS)
    types = config.type_names()
    specs = [HOME_TYPES[t] for t in types]
    type_pos = stratified_types(config.seed, indices, np.array([s.share for s in specs]))  # u[:, 0]: unused

    cities = cities.sort("city_id")
    city_pos = _pick(cities["population"].to_numpy().astype(float), u[:, 1])
    radius = HOME_RADIUS_KM * np.sqrt(u[:, 2])
    angle = 2 * np.pi * u[:, 3]
    city_lat, city_lon = cities["latitude"].to_numpy()[city_pos], cities["longitude"].to_numpy()[city_pos]
    latitude = np.clip(city_lat + radius * np.cos(angle) / KM_PER_DEGREE, -90, 90)
    cos_lat = np.maximum(np.cos(np.radians(city_lat)), 0.01)
    longitude = (city_lon + radius * np.sin(angle) / (KM_PER_DEGREE * cos_lat) + 180) % 360 - 180

    area_low = np.array([s.floor_area_m2[0] for s in specs])[type_pos]
    area_high = np.array([s.floor_area_m2[1] for s in specs])[type_pos]
    floor_area = np.round(area_low + u[:, 4] * (area_high - area_low), 1)

    weights = np.zeros((len(specs), MAX_OCCUPANTS))
    for row, spec in enumerate(specs):
        weights[row, :len(spec.occupant_weights)] = spec.occupant_weights
    occupants = (_pick(weights[type_pos], u[:, 5]) + 1).astype(np.int8)
    extra_slots = np.arange(MAX_OCCUPANTS - 2)
    is_extra = extra_slots[None, :] < (occupants[:, None] - 2)
    children = (is_extra & (u[:, 6:6 + MAX_OCCUPANTS - 2] < CHILD_SHARE_OF_EXTRA_OCCUPANTS)).sum(axis=1).astype(np.int8)
    adults = (occupants - children).astype(np.int8)

    work_from_home = _pick(np.array(WORK_FROM_HOME_DAY_WEIGHTS), u[:, 10]).astype(np.int8)
    adult_slots = np.arange(MAX_OCCUPANTS)[None, :] < adults[:, None]
    shift_workers = (adult_slots & (u[:, 11:11 + MAX_OCCUPANTS] < SHIFT_WORK_SHARE)).sum(axis=1).astype(np.int8)

    normals = box_muller(u[:, 17:19], u[:, 19:21])  # four standard normals per home
    wake = _routine(normals[:, 0], "wake_minute")
    leave = np.clip(np.maximum(_routine(normals[:, 1], "leave_minute"), wake + 20),
                    *ROUTINES["leave_minute"][2:]).astype(np.int16)
    back = np.clip(np.maximum(_routine(normals[:, 2], "return_minute"), leave + 240),
                   *ROUTINES["return_minute"][2:]).astype(np.int16)
    bedtime = _routine(normals[:, 3], "bedtime_minute")
    vacation = (VACATION_DAYS[0] + np.floor(u[:, 21] * (VACATION_DAYS[1] - VACATION_DAYS[0] + 1))).astype(np.int16)

    steps = 1 + np.floor(u[:, 22:22 + MAX_OCCUPANTS] * _NAME_STEP_MAX).astype(np.int64)
    name_pos = (np.floor(u[:, 28] * len(OCCUPANT_NAMES)).astype(np.int64)[:, None] + np.cumsum(steps, axis=1)
                - steps[:, :1]) % len(OCCUPANT_NAMES)
    keep = np.arange(MAX_OCCUPANTS)[None, :] < occupants[:, None]
    offsets = np.concatenate([[0], np.cumsum(occupants.astype(np.int32))]).astype(np.int32)
    names = pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.array(OCCUPANT_NAMES)[name_pos[keep]]))

    type_names = np.array(types)[type_pos]
    frame = pl.DataFrame({
        "home_id": home_ids(indices), "home_index": pl.Series(indices, dtype=pl.Int32),
        "home_type": type_names, "city_id": cities["city_id"].gather(city_pos),
        "city_name": cities["name"].gather(city_pos), "country_code": cities["country_code"].gather(city_pos),
        "timezone": cities["timezone"].gather(city_pos), "latitude": np.round(latitude, 6),
        "longitude": np.round(longitude, 6), "hemisphere": np.where(latitude >= 0, "north", "south"),
        "floor_area_m2": floor_area, "occupants": occupants, "adults": adults, "children": children,
        "occupant_names": pl.Series(names), "work_from_home_days": work_from_home, "shift_workers": shift_workers,
        "wake_minute": wake, "leave_minute": leave, "return_minute": back, "bedtime_minute": bedtime,
        "vacation_days_per_year": vacation,
    })
    return pl.from_arrow(frame.to_arrow().cast(HOMES_SCHEMA))
