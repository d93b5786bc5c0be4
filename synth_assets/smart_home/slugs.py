"""Home Assistant's ids, made as Home Assistant makes them: slugs of names and unique entity ids.

Read from Home Assistant's source (the release targeted by the export is 2024.3):

- ``homeassistant.util.slugify(text, separator="_")``: ``""`` for empty text, else
  ``python-slugify``'s ``slugify(text, separator="_")``, and ``"unknown"`` when that is empty.
- python-slugify's (legacy) pipeline, reproduced step by step in :func:`slugify` below.
- ``EntityRegistry.async_generate_entity_id``: ``<domain>.<slug>`` cut to 255 characters; while taken,
  ``tries += 1`` and the id becomes ``<preferred cut to 255 - len("_<tries>")>_<tries>``.
- ``homeassistant.core.VALID_ENTITY_ID``: both parts lowercase letters, digits and ``_``, no leading or
  trailing ``_``, and no ``__`` anywhere.

python-slugify transliterates non-ASCII text with ``unidecode``; our names are ASCII, so only the part
of that step that ASCII text and accents need is reproduced, and any other character is refused rather
than slugged differently from Home Assistant. Pure: no Dagster.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html.entities import name2codepoint

import numpy as np
import polars as pl

MAX_LENGTH_STATE_ENTITY_ID = 255  # homeassistant.const

# python-slugify's patterns (slugify/slugify.py)
_CHAR_ENTITY = re.compile("&(" + "|".join(name2codepoint) + ");")
_DECIMAL = re.compile(r"&#(\d+);")
_HEX = re.compile(r"&#x([\da-fA-F]+);")
_QUOTE = re.compile(r"[']+")
_DISALLOWED = re.compile(r"[^-a-zA-Z0-9]+")
_DUPLICATE_DASH = re.compile(r"-{2,}")
_NUMBERS = re.compile(r"(?<=\d),(?=\d)")
_DEFAULT_SEPARATOR = "-"

# homeassistant.core: _OBJECT_ID = r"(?!_)[\da-z_]+(?<!_)", _DOMAIN = r"(?!.+__)" + _OBJECT_ID
HA_VALID_ENTITY_ID = r"^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$"
# The same language without look-arounds, for polars (Rust regex); a test holds the two equal.
VALID_ENTITY_ID = r"^[\da-z]+(?:_[\da-z]+)*\.[\da-z]+(?:_[\da-z]+)*$"
VALID_SLUG = r"^[\da-z]+(?:_[\da-z]+)*$"


def _transliterate(text: str) -> str:
    """unidecode's result for ASCII text and for combining marks (which it drops); anything else refused."""
    kept = "".join(ch for ch in text if not unicodedata.combining(ch))
    if not kept.isascii():
        raise ValueError(f"cannot slug {text!r} as Home Assistant does: only ASCII names (accents allowed)")
    return kept


def _python_slugify(text: str) -> str:
    """python-slugify's ``slugify(text)`` with default options (separator ``-``)."""
    text = _QUOTE.sub(_DEFAULT_SEPARATOR, text)
    text = _transliterate(unicodedata.normalize("NFKD", text))
    text = _CHAR_ENTITY.sub(lambda m: chr(name2codepoint[m.group(1)]), text)
    try:
        text = _DECIMAL.sub(lambda m: chr(int(m.group(1))), text)
    except (ValueError, OverflowError):
        pass
    try:
        text = _HEX.sub(lambda m: chr(int(m.group(1), 16)), text)
    except (ValueError, OverflowError):
        pass
    text = unicodedata.normalize("NFKD", text).lower()
    text = _QUOTE.sub("", text)
    text = _NUMBERS.sub("", text)
    text = _DISALLOWED.sub(_DEFAULT_SEPARATOR, text)
    return _DUPLICATE_DASH.sub(_DEFAULT_SEPARATOR, text).strip(_DEFAULT_SEPARATOR)


@lru_cache(maxsize=65536)
def slugify(text: str | None, separator: str = "_") -> str:
    """``homeassistant.util.slugify``: "Living Room" -> "living_room"."""
    if text == "" or text is None:
        return ""
    slug = _python_slugify(text)
    if separator != _DEFAULT_SEPARATOR:
        slug = slug.replace(_DEFAULT_SEPARATOR, separator)
    return "unknown" if slug == "" else slug


def slug_column(names: pl.Series) -> pl.Series:
    """:func:`slugify` of every value, computed once per distinct name (names repeat across homes)."""
    distinct = names.unique(maintain_order=True)
    mapping = dict(zip(distinct.to_list(), (slugify(n) for n in distinct.to_list()), strict=True))
    return names.replace_strict(mapping, return_dtype=pl.String)


def generate_entity_id(preferred_object_id: str, domain: str, taken: set[str]) -> str:
    """``EntityRegistry.async_generate_entity_id`` against the ids already ``taken`` (which it extends)."""
    preferred = f"{domain}.{preferred_object_id}"
    candidate, tries = preferred[:MAX_LENGTH_STATE_ENTITY_ID], 1
    while candidate in taken:
        tries += 1
        suffix = f"_{tries}"
        candidate = f"{preferred[:MAX_LENGTH_STATE_ENTITY_ID - len(suffix)]}{suffix}"
    taken.add(candidate)
    return candidate


def unique_entity_ids(home_ids: pl.Series, preferred: pl.Series) -> pl.Series:
    """Entity ids as Home Assistant registers ``preferred`` (``domain.slug``) in row order, per home.

    Vectorised: the n-th repeat of an id within a home gets ``_n``. That is Home Assistant's answer
    unless a suffixed id is also some row's own preferred id; the homes where that happens are
    registered again one id at a time with :func:`generate_entity_id` (rare; a test covers it).
    """
    frame = pl.DataFrame({"home_id": home_ids, "preferred": preferred}).with_row_index("row")
    ranked = frame.with_columns(tries=pl.col("row").cum_count().over("home_id", "preferred"))
    too_long = ranked.select(pl.col("preferred").str.len_chars().max()).item() or 0
    ids = ranked.select(
        pl.when(pl.col("tries") == 1).then(pl.col("preferred"))
        .otherwise(pl.col("preferred") + "_" + pl.col("tries").cast(pl.String))).to_series()
    ranked = ranked.with_columns(entity_id=ids)
    own_ids = frame.select("home_id", pl.col("preferred").alias("entity_id")).unique()
    clashing = pl.concat([
        ranked.filter(pl.col("entity_id").is_duplicated().over("home_id")).select("home_id"),
        ranked.filter(pl.col("tries") > 1).join(own_ids, on=["home_id", "entity_id"], how="semi").select("home_id"),
    ])
    homes = clashing["home_id"].unique().to_list()
    if too_long + 4 > MAX_LENGTH_STATE_ENTITY_ID:
        homes = ranked["home_id"].unique().to_list()
    if not homes:
        return ranked["entity_id"]
    result = ranked["entity_id"].to_numpy().astype(object)
    for home in homes:
        rows = ranked.filter(pl.col("home_id") == home)
        taken: set[str] = set()
        result[rows["row"].to_numpy()] = [generate_entity_id(p.split(".", 1)[1], p.split(".", 1)[0], taken)
                                          for p in rows["preferred"].to_list()]
    return pl.Series("entity_id", np.asarray(result, dtype=str).tolist(), dtype=pl.String)
