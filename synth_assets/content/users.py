"""Users: unique usernames and emails at any volume, created over the configured Eastern days.

Names come from mimesis' English vocabulary; which name a row gets is drawn by our own generator, so
a library upgrade cannot silently change the data's shape. Collisions are resolved deterministically
by numbering repeats in row order, and counted.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl
from mimesis.datasets import EMAIL_DOMAINS

from synth_assets.content import timeline
from synth_assets.content.models import ContentConfig
from synth_assets.core.rng import rng_for

USERNAME_STYLES = ("{f}.{l}", "{f}_{l}", "{f}{l}", "{i}{l}", "{f}.{l}{n}", "{f}{n}", "{l}.{f}", "{f}_{l}{n}")
ACTIVE_SHARE = 0.94
THEMES, LANGUAGES = ("light", "dark", "system"), ("en", "es", "fr", "de", "pt", "ja", "zh", "ko", "it", "hi")
ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class Users:
    frame: pl.DataFrame       # the users table, admin first, sorted by created_at
    collisions_resolved: int  # usernames that needed a number to stay unique


def _ascii_lower(words: list[str]) -> list[str]:
    out = {unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode().lower() for w in words}
    return sorted(w for w in out if w.isalpha())


@lru_cache(maxsize=1)
def name_vocabulary() -> tuple[pl.Series, pl.Series]:
    person = json.loads(resources.files("mimesis.datasets").joinpath("en/person.json").read_text("utf-8"))
    first = _ascii_lower(person["names"]["female"] + person["names"]["male"])
    last = _ascii_lower(person["surnames"])
    return pl.Series("f", first), pl.Series("l", last)


def pick(values: pl.Series | list[str], rng: np.random.Generator, n: int, p=None) -> pl.Series:
    """``n`` values drawn (with replacement) by our generator; vectorised gather."""
    values = values if isinstance(values, pl.Series) else pl.Series(values)
    index = rng.choice(len(values), n, p=p) if p is not None else rng.integers(0, len(values), n)
    return values.gather(index)


def _usernames(rng: np.random.Generator, n: int) -> tuple[pl.Series, int]:
    first, last = name_vocabulary()
    frame = pl.DataFrame({
        "f": pick(first, rng, n), "l": pick(last, rng, n),
        "n": pl.Series(rng.integers(1, 100, n)).cast(pl.String),
        "style": rng.integers(0, len(USERNAME_STYLES), n),
    }).with_columns(i=pl.col("f").str.slice(0, 1))
    parts = []
    for index, style in enumerate(USERNAME_STYLES):  # one vectorised format per style (8 passes)
        pieces, rest = [], style
        while rest:
            if rest.startswith("{"):
                key, rest = rest[1], rest[3:]
                pieces.append(pl.col(key))
            else:
                cut = rest.find("{") if "{" in rest else len(rest)
                pieces.append(pl.lit(rest[:cut]))
                rest = rest[cut:]
        parts.append(pl.when(pl.col("style") == index).then(pl.concat_str(pieces)))
    names = frame.select(pl.coalesce(parts).alias("username")).to_series().str.slice(0, 40)
    return _make_unique(names)


def _make_unique(names: pl.Series) -> tuple[pl.Series, int]:
    """Number the 2nd, 3rd, ... occurrence of a name (``anna.kim`` -> ``anna.kim_2``) until all differ."""
    resolved = 0
    reserved = pl.Series([ADMIN_USERNAME])
    while True:
        frame = pl.DataFrame({"name": names}).with_columns(
            seen=pl.col("name").cum_count().over("name"),
            taken=pl.col("name").is_in(reserved.implode()))
        clash = (frame["seen"] > 1) | frame["taken"]
        if not clash.any():
            return names, resolved
        resolved += int(clash.sum())
        names = frame.select(pl.when(clash).then(pl.format("{}_{}", "name", pl.col("seen")))
                             .otherwise("name")).to_series().alias("username")


@lru_cache(maxsize=8)
def generate_users(config: ContentConfig) -> Users:
    rng = rng_for(config.seed, "content", "users")
    days = timeline.days_of(config.start, config.end)
    n = config.users - 1  # the admin is user number one
    counts = timeline.allocate(n, timeline.day_weights(days))
    created = timeline.eastern_times(rng, days, counts)
    usernames, collisions = _usernames(rng, n)
    domains = [d.lstrip("@") for d in EMAIL_DOMAINS if "example" not in d]
    updated_after_s = rng.exponential(3 * 86400, n)
    frame = pl.DataFrame({
        "id": timeline.uuid4_strings(rng, n),
        "username": usernames,
        "email": pick(domains, rng, n),
        "created_at": created,
        "updated_after": pl.Series((updated_after_s * 1e6).astype(np.int64)).cast(pl.Duration("us")),
        "is_active": rng.random(n) < ACTIVE_SHARE,
        "theme": pick(THEMES, rng, n, p=[0.35, 0.45, 0.2]),
        "language": pick(LANGUAGES, rng, n, p=[0.55, 0.1, 0.06, 0.06, 0.05, 0.05, 0.04, 0.03, 0.03, 0.03]),
        "email_notifications": rng.random(n) < 0.7,
        "nsfw_filter": rng.random(n) < 0.85,
        "images_per_page": pl.Series(np.array([20, 40, 60, 100])[rng.integers(0, 4, n)]),
    })
    start, _ = timeline.eastern_day_bounds(config.start)
    admin = pl.DataFrame({
        "id": [str(config.admin_user_id)], "username": [ADMIN_USERNAME], "email": ["example.com"],
        "created_at": pl.Series([start]).dt.convert_time_zone("UTC"),
        "updated_after": pl.Series([0]).cast(pl.Duration("us")),
        "is_active": [True], "theme": ["dark"], "language": ["en"], "email_notifications": [True],
        "nsfw_filter": [True], "images_per_page": [100],
    }).cast(frame.schema)
    users = pl.concat([admin, frame]).select(
        "id", "username",
        email=pl.concat_str([pl.col("username"), pl.lit("@"), pl.col("email")]),
        created_at="created_at",
        updated_at=pl.min_horizontal(pl.col("created_at") + pl.col("updated_after"),
                                     pl.lit(timeline.last_instant(config.end))),
        is_active="is_active",
        preferences=pl.struct("theme", "language", "email_notifications", "nsfw_filter",
                              "images_per_page").struct.json_encode(),
    )
    return Users(frame=users, collisions_resolved=collisions)
