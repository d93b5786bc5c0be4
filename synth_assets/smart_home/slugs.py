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


def _codes(values: pl.Series) -> np.ndarray:
    """Equal values, equal integer codes (integers as they are; strings by a hash table, not a sort)."""
    if values.dtype.is_integer():
        return values.cast(pl.Int64).to_numpy()
    return values.cast(pl.String).cast(pl.Categorical).to_physical().cast(pl.Int64).to_numpy()


def unique_entity_ids(homes: pl.Series, preferred: pl.Series) -> pl.Series:
    """Entity ids as Home Assistant registers ``preferred`` (``domain.slug``) in row order, per home.

    Vectorised: the n-th repeat of an id within a home gets ``_n``. That is Home Assistant's answer
    unless a suffixed id is also some row's own preferred id in that home (two suffixed ids cannot
    meet: the last ``_<digits>`` of an id tells its base and number apart); the homes where that happens,
    or where an id reaches the length limit, are registered again one id at a time with
    :func:`generate_entity_id` (rare; a test compares both on colliding ids).
    """
    n = len(preferred)
    home_code = _codes(homes)
    suffix_room = MAX_LENGTH_STATE_ENTITY_ID - 8
    long_rows = preferred.str.len_chars().to_numpy() > suffix_room if n else np.empty(0, bool)
    codes = _codes(preferred)
    width = int(codes.max(initial=0)) + 1
    key = home_code * width + codes
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if n else np.empty(0, np.int64)
    group_sizes = np.diff(np.r_[starts, n])
    tries = np.empty(n, dtype=np.int64)
    tries[order] = np.arange(n) - np.repeat(starts, group_sizes) + 1
    repeat = np.flatnonzero(tries > 1)
    suffixed = preferred.gather(repeat) + "_" + pl.Series(tries[repeat]).cast(pl.String)
    ids = preferred.clone().scatter(repeat, suffixed) if len(repeat) else preferred.clone()
    # which suffixed ids are also a preferred id of their home: rank both lists together
    both = _codes(pl.concat([preferred, suffixed]))
    width = int(both.max(initial=0)) + 1
    own_keys = pl.Series(home_code * width + both[:n])
    suffixed_keys = pl.Series(home_code[repeat] * width + both[n:])
    clashing = home_code[repeat][suffixed_keys.is_in(own_keys.implode()).to_numpy()]
    redo = np.union1d(clashing, home_code[long_rows])
    if len(redo) == 0:
        return ids.alias("entity_id")
    result = ids.to_list()
    wanted = preferred.to_list()
    for code in redo:
        taken: set[str] = set()
        for row in np.flatnonzero(home_code == code):
            domain, object_id = wanted[row].split(".", 1)
            result[row] = generate_entity_id(object_id, domain, taken)
    return pl.Series("entity_id", result, dtype=pl.String)
