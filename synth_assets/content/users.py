"""Users: created over the configured Eastern days, with usernames and emails unique by construction.

A day's users are generated from streams keyed by (users, day); which global indices the day owns
comes from :mod:`synth_assets.content.allocation`. Their creation times come from a stream of their
own, so a child table can tell which users existed at a moment of a day without generating them.

Usernames are a function of the global index. A keyed permutation gives every user a distinct rank
``r``; the rank chooses the style (by its share) and, through a second keyed permutation of that
style's name space, the name. A style's space holds every (first, last, number) combination, so a
rank past its size wraps around and gets the numeral ``_2``, ``_3``, ... The styles are chosen so that
a name can be read back into (style, parts): two ranks never give the same name. Names come from
mimesis' English vocabulary; which name a row gets is our own draw, so a library upgrade cannot
silently change the data's shape.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl
from mimesis.datasets import EMAIL_DOMAINS

from synth_assets.content import timeline
from synth_assets.content.allocation import allocate_content, days_in_window, row_ids
from synth_assets.content.models import ContentConfig
from synth_assets.core.rng import permute_index, rng_for

# Username styles and their shares (estimates, not measurements). Each style is readable back into its
# parts: "." or "_" between first and last name, digits only at the end, "{i}{l}" is initial + surname.
USERNAME_STYLES = {"{f}.{l}": 0.22, "{f}_{l}": 0.12, "{f}.{l}{n}": 0.18, "{f}_{l}{n}": 0.12, "{f}{n}": 0.18,
                   "{i}{l}": 0.18}
NUMBERS = (1, 99)   # inclusive, the {n} of a style
ACTIVE_SHARE = 0.94
THEMES, LANGUAGES = ("light", "dark", "system"), ("en", "es", "fr", "de", "pt", "ja", "zh", "ko", "it", "hi")
THEME_SHARES = (0.35, 0.45, 0.2)
LANGUAGE_SHARES = (0.55, 0.1, 0.06, 0.06, 0.05, 0.05, 0.04, 0.03, 0.03, 0.03)
ADMIN_USERNAME = "admin"
MAX_USERNAME_CHARS = 64  # the column's length


@dataclass(frozen=True)
class Users:
    frame: pl.DataFrame  # the window's users, in global index order (admin first on the first day)
    numbered: int        # usernames that carry a numeral (_2, _3, ...) to stay unique


def _ascii_lower(words: list[str]) -> list[str]:
    out = {unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode().lower() for w in words}
    return sorted(w for w in out if w.isalpha())


@lru_cache(maxsize=1)
def name_vocabulary() -> tuple[pl.Series, pl.Series]:
    person = json.loads(resources.files("mimesis.datasets").joinpath("en/person.json").read_text("utf-8"))
    first = _ascii_lower(person["names"]["female"] + person["names"]["male"])
    last = [w for w in _ascii_lower(person["surnames"]) if "a" + w != ADMIN_USERNAME]  # "{i}{l}" never "admin"
    return pl.Series("f", first), pl.Series("l", last)


@lru_cache(maxsize=1)
def email_domains() -> pl.Series:
    return pl.Series("domain", [d.lstrip("@") for d in EMAIL_DOMAINS if "example" not in d])


_PART = re.compile(r"\{([a-z])\}")
_INITIALS = pl.Series("i", list("abcdefghijklmnopqrstuvwxyz"))


def _part_values() -> dict[str, pl.Series]:
    first, last = name_vocabulary()
    return {"f": first, "l": last, "i": _INITIALS,
            "n": pl.Series("n", [str(k) for k in range(NUMBERS[0], NUMBERS[1] + 1)])}


def _style_parts(style: str) -> list[str]:
    return _PART.findall(style)


def _style_size(style: str) -> int:
    """How many distinct names a style can make (before numerals): the product of its parts' choices."""
    values = _part_values()
    return int(np.prod([len(values[part]) for part in _style_parts(style)]))


def _style_expression(style: str) -> pl.Expr:
    """``"{f}.{l}{n}"`` -> concat_str(f, ".", l, n): literals between the parts' columns."""
    pieces, position = [], 0
    for match in _PART.finditer(style):
        if match.start() > position:
            pieces.append(pl.lit(style[position:match.start()]))
        pieces.append(pl.col(match[1]))
        position = match.end()
    return pl.concat_str(pieces)


def usernames(config: ContentConfig, index: np.ndarray) -> pl.Series:
    """The username of each global user index (index 0 is the admin), unique over all users by construction."""
    users = config.users - 1  # ranks of the users other than the admin
    others = np.maximum(index - 1, 0)  # the admin (index 0) is named below
    rank = permute_index(config.seed, ("content", "users", "username_rank"), others, max(users, 1)).astype(np.int64)
    block_ends = np.cumsum(timeline.allocate(users, np.array(list(USERNAME_STYLES.values()))))
    style = np.searchsorted(block_ends, rank, side="right")
    local = rank - np.concatenate([[0], block_ends])[style]
    sizes = np.array([_style_size(s) for s in USERNAME_STYLES], dtype=np.int64)
    repeat, within = np.divmod(local, sizes[style])
    values = _part_values()
    chosen = {part: np.zeros(index.size, dtype=np.int64) for part in values}
    for code, name in enumerate(USERNAME_STYLES):  # one vectorised permutation per style (6 passes)
        rows = np.flatnonzero(style == code)
        combination = permute_index(config.seed, ("content", "users", "username", code), within[rows],
                                    int(sizes[code])).astype(np.int64)
        for part in _style_parts(name):  # mixed radix: the combination's digits are the parts' choices
            combination, chosen[part][rows] = np.divmod(combination, len(values[part]))
    parts = pl.DataFrame({"style": style, "repeat": repeat,
                          **{part: values[part].gather(chosen[part]) for part in values}})
    name = pl.coalesce([pl.when(pl.col("style") == code).then(_style_expression(s))
                        for code, s in enumerate(USERNAME_STYLES)])
    numbered = pl.when(pl.col("repeat") > 0).then(name + "_" + (pl.col("repeat") + 1).cast(pl.String)).otherwise(name)
    names = parts.select(numbered.alias("username")).to_series()
    return pl.select(pl.when(pl.Series(index) == 0).then(pl.lit(ADMIN_USERNAME)).otherwise(names)
                     .alias("username")).to_series()


def user_times(config: ContentConfig, day_index: int) -> np.ndarray:
    """Creation instants (epoch us, sorted) of the users of a day, in global index order; the admin's first."""
    allocation = allocate_content(config)
    day = allocation.days[day_index]
    count = int(allocation.users.counts[day_index])
    if day_index == 0:  # the admin is created the instant the range begins, before everyone else
        rng = rng_for(config.seed, "content", "users", day, "created_at")
        return np.concatenate([[timeline.day_start_us(day)], timeline.eastern_times_of_day(rng, day, count - 1)])
    return timeline.eastern_times_of_day(rng_for(config.seed, "content", "users", day, "created_at"), day, count)


def _day_draws(config: ContentConfig, day_index: int) -> dict[str, np.ndarray]:
    allocation = allocate_content(config)
    day, n = allocation.days[day_index], int(allocation.users.counts[day_index])
    rng = rng_for(config.seed, "content", "users", day)
    return {
        "created_at": user_times(config, day_index),
        "updated_after": timeline.seconds_us(rng.exponential(3 * 86400, n)),
        "email_domain": rng.integers(0, len(email_domains()), n),
        "is_active": rng.random(n) < ACTIVE_SHARE,
        "theme": rng.choice(len(THEMES), n, p=THEME_SHARES),
        "language": rng.choice(len(LANGUAGES), n, p=LANGUAGE_SHARES),
        "email_notifications": rng.random(n) < 0.7,
        "nsfw_filter": rng.random(n) < 0.85,
        "images_per_page": np.array([20, 40, 60, 100])[rng.integers(0, 4, n)],
    }


def generate_users(config: ContentConfig, first: date | None = None, last: date | None = None) -> Users:
    """The users created on the Eastern days ``first``..``last`` (default: the whole range)."""
    allocation = allocate_content(config)
    days = days_in_window(config, first or config.start, last or config.end)
    codes = [allocation.day_index(d) for d in days] or [0]
    parts = [_day_draws(config, code) for code in codes]
    draws = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    index = np.concatenate([allocation.users.indices(code) for code in codes])
    names = usernames(config, index)
    admin = index == 0
    frame = pl.DataFrame({
        "id": row_ids(config, "users", index),
        "username": names,
        "email": names + "@" + email_domains().gather(draws["email_domain"]),
        "created_at": timeline.utc_series(draws["created_at"], "created_at"),
        "updated_at": timeline.utc_series(np.where(admin, draws["created_at"], np.minimum(
            draws["created_at"] + draws["updated_after"], timeline.last_instant_us(config.end))), "updated_at"),
        "is_active": draws["is_active"] | admin,
        "theme": pl.Series(THEMES).gather(np.where(admin, 1, draws["theme"])),
        "language": pl.Series(LANGUAGES).gather(np.where(admin, 0, draws["language"])),
        "email_notifications": draws["email_notifications"] | admin,
        "nsfw_filter": draws["nsfw_filter"] | admin,
        "images_per_page": np.where(admin, 100, draws["images_per_page"]),
    }).with_columns(
        email=pl.when(pl.Series(admin)).then(pl.lit(f"{ADMIN_USERNAME}@example.com")).otherwise("email"),
    ).select("id", "username", "email", "created_at", "updated_at", "is_active",
             preferences=pl.struct("theme", "language", "email_notifications", "nsfw_filter",
                                   "images_per_page").struct.json_encode())
    if not days:
        frame = frame.clear()
    return Users(frame=frame, numbered=int(names.str.contains(r"_\d+$").sum()) if days else 0)
