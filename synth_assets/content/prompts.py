"""Image-generation prompts: general phrases plus phrases of one domain, assembled without per-row loops.

A prompt is 0-10 general phrases and 4-30 phrases of one of the 30 domains of
:mod:`synth_assets.content.vocabulary`. The first domain phrase is a subject phrase ("a weathered
lighthouse on a basalt cliff", which also gives the title); the other domain phrases are distinct detail
slots (elements, bare or with a trait, and style phrases). All phrases are joined with ``", "``.

The sentence frame of each domain comes from the Jinja2 template of its style (``templates/<style>.j2``),
rendered once per domain: it gives the frames' leads ("a wildlife photograph of ...") and whether the
general phrases come first or last. Rows pick a frame, a subject, detail slots and general phrases with
numpy; polars gathers the phrase strings and joins them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import jinja2
import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.content.models import DOMAIN_PHRASES, GENERAL_PHRASES
from synth_assets.content.vocabulary import DOMAIN_VOCABULARIES, DomainVocabulary
from synth_assets.content.vocabulary import GENERAL_PHRASES as GENERAL_PHRASE_LIST

DOMAINS: tuple[str, ...] = tuple(DOMAIN_VOCABULARIES)
PHRASE_JOINER = ", "
TEMPLATE_DIR = Path(__file__).parent / "templates"
DOMAIN_COUNT_SKEW = 1.6  # domain phrases = low + floor(span * u**1.6): mean ~14, every count in range occurs
TITLE_MAX_CHARS = 120
PROMPT_SCHEMA = {"prompt": pl.String, "title": pl.String, "domain": pl.String,
                 "general_phrases": pl.Int16, "domain_phrases": pl.Int16}
SLOT_MARKERS = {name: f"\x00{name}\x00" for name in ("subject", "details", "general", "general_first")}
_FRAME_PATTERN = re.compile("^(?P<general_first>\x00general_first\x00)?(?P<lead>[^\x00]*)"
                            "\x00subject\x00\x00details\x00(?P<general_last>\x00general\x00)?$")
_TITLE_SMALL_WORDS = frozenset(
    "a an the of on in at by for with to and or from into over under above beside among near across through "
    "along behind below beneath against amid inside atop without after".split())


@dataclass(frozen=True)
class PromptFrame:
    """One sentence frame: text before the subject phrase, and where the general phrases go."""

    lead: str
    general_first: bool


def template_environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), undefined=jinja2.StrictUndefined,
                              autoescape=False, keep_trailing_newline=False)


@cache
def prompt_frames(domain: str) -> tuple[PromptFrame, ...]:
    """The frames of a domain, rendered once from its style's template."""
    vocabulary = DOMAIN_VOCABULARIES[domain]
    template_name = f"{vocabulary.style}.j2"
    text = template_environment().get_template(template_name).render(domain=vocabulary, slot=SLOT_MARKERS)
    frames = []
    for line in filter(str.strip, text.splitlines()):
        match = _FRAME_PATTERN.match(line)
        if (match is None or bool(match["general_first"]) == bool(match["general_last"])
                or PHRASE_JOINER in match["lead"]):
            raise ValueError(f"{template_name}: frame {line!r} is not [general_first] lead subject details "
                             f"[general] with exactly one general slot and no {PHRASE_JOINER!r} in the lead")
        frames.append(PromptFrame(lead=match["lead"], general_first=bool(match["general_first"])))
    if not frames:
        raise ValueError(f"{template_name} renders no frame for domain {domain!r}")
    return tuple(frames)


def title_from_phrase(phrase: str) -> str:
    """ "a weathered lighthouse on a basalt cliff" -> "Weathered Lighthouse on a Basalt Cliff"."""
    words = phrase.split(" ")
    if len(words) > 1 and words[0] in ("a", "an", "the"):
        words = words[1:]
    title = " ".join(word if i and word in _TITLE_SMALL_WORDS else word[:1].upper() + word[1:]
                     for i, word in enumerate(words))
    return title[:TITLE_MAX_CHARS].rstrip()


@dataclass(frozen=True)
class _PhraseTables:
    """Every phrase of every domain in flat tables, with per-domain offsets and list sizes (by domain code)."""

    subject_phrases: pl.Series
    subject_titles: pl.Series
    detail_phrases: pl.Series
    general_phrases: pl.Series
    frame_leads: pl.Series
    frame_general_first: np.ndarray
    frame_offset: np.ndarray
    frame_count: np.ndarray
    subject_offset: np.ndarray
    subject_traits: np.ndarray
    subjects: np.ndarray
    settings: np.ndarray
    detail_slots: np.ndarray
    slot_phrase_base: np.ndarray  # [domain, slot]: id of the slot's bare element or of its style phrase
    slot_trait_count: np.ndarray  # [domain, slot]: traits an element slot can take; 0 for style phrases


def _offsets(sizes: list[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)


@lru_cache(maxsize=1)
def _phrase_tables() -> _PhraseTables:
    vocabularies = [DOMAIN_VOCABULARIES[key] for key in DOMAINS]
    subject_lists = [v.subject_phrases() for v in vocabularies]
    detail_lists = [v.detail_phrases() for v in vocabularies]
    frame_lists = [prompt_frames(key) for key in DOMAINS]
    subjects = [p for phrases in subject_lists for p in phrases]
    frames = [f for domain_frames in frame_lists for f in domain_frames]

    def sizes(attribute: str) -> np.ndarray:
        return np.array([len(getattr(v, attribute)) for v in vocabularies], dtype=np.int64)

    return _PhraseTables(
        subject_phrases=pl.Series(subjects, dtype=pl.String),
        subject_titles=pl.Series([title_from_phrase(p) for p in subjects], dtype=pl.String),
        detail_phrases=pl.Series([p for phrases in detail_lists for p in phrases], dtype=pl.String),
        general_phrases=pl.Series(GENERAL_PHRASE_LIST, dtype=pl.String),
        frame_leads=pl.Series([f.lead for f in frames], dtype=pl.String),
        frame_general_first=np.array([f.general_first for f in frames]),
        frame_offset=_offsets([len(f) for f in frame_lists]),
        frame_count=np.array([len(f) for f in frame_lists], dtype=np.int64),
        subject_offset=_offsets([len(p) for p in subject_lists]),
        subject_traits=sizes("subject_traits"), subjects=sizes("subjects"), settings=sizes("settings"),
        detail_slots=np.array([v.detail_slots for v in vocabularies], dtype=np.int64),
        **_slot_tables(vocabularies, _offsets([len(p) for p in detail_lists])),
    )


def _slot_tables(vocabularies: list[DomainVocabulary], detail_offset: np.ndarray) -> dict[str, np.ndarray]:
    """Detail slot s of a domain: element s (s < elements) or style phrase s - elements."""
    width = max(v.detail_slots for v in vocabularies)
    base = np.zeros((len(vocabularies), width), dtype=np.int32)
    traits = np.zeros((len(vocabularies), width), dtype=np.int32)
    for code, (v, offset) in enumerate(zip(vocabularies, detail_offset)):
        variants, elements = len(v.element_traits) + 1, len(v.elements)
        base[code, :elements] = offset + np.arange(elements) * variants
        base[code, elements:v.detail_slots] = offset + elements * variants + np.arange(len(v.style_phrases))
        traits[code, :elements] = len(v.element_traits)
    return {"slot_phrase_base": base, "slot_trait_count": traits}


def domain_codes(domains: tuple[str, ...] | None) -> np.ndarray:
    """Positions in DOMAINS of the requested domains (all when None); ValueError on an unknown one."""
    if domains is None:
        return np.arange(len(DOMAINS), dtype=np.int64)
    if isinstance(domains, str):
        domains = (domains,)
    unknown = [d for d in domains if d not in DOMAIN_VOCABULARIES]
    if unknown:
        raise ValueError(f"unknown prompt domain(s) {', '.join(map(repr, unknown))}; "
                         f"valid domains are: {', '.join(DOMAINS)}")
    if not domains:
        raise ValueError(f"domains is empty; pass None for all of: {', '.join(DOMAINS)}")
    return np.array([DOMAINS.index(d) for d in dict.fromkeys(domains)], dtype=np.int64)


def _join_lists(phrases: pl.Series, flat_ids: np.ndarray, counts: np.ndarray) -> pl.Series:
    """Row i = phrases[flat_ids[offset_i : offset_i + counts[i]]] joined with PHRASE_JOINER."""
    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    values = phrases.gather(flat_ids).to_arrow()
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values)
    return pl.Series(lists).list.join(PHRASE_JOINER)


def _distinct_slots(rng: np.random.Generator, pool: np.ndarray, take: np.ndarray) -> np.ndarray:
    """``take[i]`` distinct random slots out of ``range(pool[i])`` per row, as a (rows, max(take)) matrix.

    A partial Fisher-Yates shuffle run on all rows at once: step j swaps column j with a random column
    in ``j .. pool-1`` of every row that still needs a j-th slot (a loop over columns, not rows). Rows
    are processed sorted by ``take``, so the rows of step j are a prefix. Only the first ``take[i]``
    columns of row i are meaningful.
    """
    width, steps = int(pool.max()), int(take.max())
    order = np.argsort(-take, kind="stable")
    rows_with_step = np.bincount(take, minlength=steps + 1)[::-1].cumsum()[::-1]  # [j]: rows with take >= j
    pool_sorted = pool[order]
    shuffled = np.tile(np.arange(width, dtype=np.uint8), (take.size, 1))
    flat = shuffled.reshape(-1)
    row_start = np.arange(take.size, dtype=np.int64) * width
    for j in range(steps):
        m = rows_with_step[j + 1]
        other = row_start[:m] + j + (rng.random(m, dtype=np.float32) * (pool_sorted[:m] - j)).astype(np.int64)
        column = shuffled[:m, j].copy()
        shuffled[:m, j] = flat[other]
        flat[other] = column
    unsorted = np.empty_like(shuffled[:, :steps])
    unsorted[order] = shuffled[:, :steps]
    return unsorted


def _detail_ids(rng: np.random.Generator, tables: _PhraseTables, domain: np.ndarray,
                detail_count: np.ndarray) -> np.ndarray:
    """Flat detail phrase ids, row by row: distinct slots, each element bare or with a random trait."""
    slots = _distinct_slots(rng, tables.detail_slots[domain], detail_count)
    width = tables.slot_phrase_base.shape[1]
    key = (domain.astype(np.int32)[:, None] * width + slots)[np.arange(slots.shape[1]) < detail_count[:, None]]
    base, traits = tables.slot_phrase_base.reshape(-1)[key], tables.slot_trait_count.reshape(-1)[key]
    bits = rng.integers(0, 1 << 16, key.size, dtype=np.uint16).astype(np.int32)
    with_trait = (bits & 1).astype(bool) & (traits > 0)          # half of the elements get a trait
    return base + np.where(with_trait, 1 + (((bits >> 1) * traits) >> 15), 0)


def _distinct_sorted_draws(rng: np.random.Generator, pool_size: int, take: np.ndarray, width: int) -> np.ndarray:
    """``take[i]`` distinct values of ``range(pool_size)`` per row, ascending, flattened row by row.

    Rows whose draws collide are redrawn whole (rejection), which keeps every subset equally likely.
    """
    unused = pool_size + np.arange(width)              # distinct fillers, sorted after every real value
    active = np.arange(width) < take[:, None]
    draws = np.where(active, rng.integers(0, pool_size, (take.size, width)), unused)
    rows = np.arange(take.size)
    while rows.size:
        ordered = np.sort(draws[rows], axis=1)
        rows = rows[(ordered[:, 1:] == ordered[:, :-1]).any(axis=1)]
        draws[rows] = np.where(active[rows], rng.integers(0, pool_size, (rows.size, width)), unused)
    ordered = np.sort(draws, axis=1)
    return ordered[active]


PROMPT_DRAW_KEYS = ("domain", "frame", "general_count", "domain_count", "subject_id", "detail_id", "general_id")


def draw_prompts(rng: np.random.Generator, n: int, domains: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """The choices behind ``n`` prompts as numpy arrays (no strings): domain, frame, phrase counts, subject
    and the flat detail and general phrase ids (row by row). :func:`assemble_prompts` turns them into text;
    draws of several days can be concatenated key by key first."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    codes = domain_codes(domains)
    tables = _phrase_tables()
    if n == 0:
        return {key: np.zeros(0, dtype=np.int64) for key in PROMPT_DRAW_KEYS}
    domain = codes[rng.integers(0, codes.size, n)]
    frame = tables.frame_offset[domain] + (rng.random(n) * tables.frame_count[domain]).astype(np.int64)
    general_count = rng.integers(GENERAL_PHRASES[0], GENERAL_PHRASES[1] + 1, n)
    span = DOMAIN_PHRASES[1] - DOMAIN_PHRASES[0] + 1
    domain_count = DOMAIN_PHRASES[0] + (span * rng.random(n) ** DOMAIN_COUNT_SKEW).astype(np.int64)

    trait, subject, setting = (rng.integers(0, getattr(tables, name)[domain])
                               for name in ("subject_traits", "subjects", "settings"))
    subject_id = tables.subject_offset[domain] + (
        (trait * tables.subjects[domain] + subject) * tables.settings[domain] + setting)
    detail_id = _detail_ids(rng, tables, domain, domain_count - 1)
    general_id = _distinct_sorted_draws(rng, len(tables.general_phrases), general_count, GENERAL_PHRASES[1])
    return {"domain": domain, "frame": frame, "general_count": general_count, "domain_count": domain_count,
            "subject_id": subject_id, "detail_id": detail_id, "general_id": general_id}


def assemble_prompts(draws: dict[str, np.ndarray]) -> pl.DataFrame:
    """Prompt text, title, domain and phrase counts from :func:`draw_prompts` (row-wise, any number of days)."""
    tables = _phrase_tables()
    if draws["domain"].size == 0:
        return pl.DataFrame(schema=PROMPT_SCHEMA)
    general_count, domain_count, frame = draws["general_count"], draws["domain_count"], draws["frame"]
    general_first = tables.frame_general_first[frame]
    has_general = general_count > 0
    return pl.DataFrame({
        "general": _join_lists(tables.general_phrases, draws["general_id"], general_count),
        "details": _join_lists(tables.detail_phrases, draws["detail_id"], domain_count - 1),
        "subject": tables.subject_phrases.gather(draws["subject_id"]),
        "lead": tables.frame_leads.gather(frame),
        "general_before": has_general & general_first,
        "general_after": has_general & ~general_first,
        "title": tables.subject_titles.gather(draws["subject_id"]),
        "domain": pl.Series(DOMAINS, dtype=pl.String).gather(draws["domain"]),
        "general_phrases": general_count.astype(np.int16),
        "domain_phrases": domain_count.astype(np.int16),
    }).select(
        prompt=pl.concat_str(
            pl.when("general_before").then(pl.col("general") + PHRASE_JOINER).otherwise(pl.lit("")),
            "lead", "subject", pl.lit(PHRASE_JOINER), "details",
            pl.when("general_after").then(PHRASE_JOINER + pl.col("general")).otherwise(pl.lit(""))),
        title="title", domain="domain", general_phrases="general_phrases", domain_phrases="domain_phrases",
    )


def build_prompts(rng: np.random.Generator, n: int, domains: tuple[str, ...] | None = None) -> pl.DataFrame:
    """``n`` prompts with columns prompt, title, domain, general_phrases (count) and domain_phrases (count)."""
    return assemble_prompts(draw_prompts(rng, n, domains))
