"""synth_assets.content prompts and tags: vocabulary, Jinja2 frames, prompt structure, tag lists.

Prompts are checked by re-splitting them into phrases and classifying every phrase against the
vocabulary, not by trusting the count columns.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import jinja2
import numpy as np
import polars as pl
import pytest

from synth_assets.content import prompts, tags
from synth_assets.content.models import DOMAIN_PHRASES, GENERAL_PHRASES, TAGS_PER_ITEM, ContentConfig
from synth_assets.content.vocabulary import DOMAIN_VOCABULARIES
from synth_assets.content.vocabulary import GENERAL_PHRASES as GENERAL_PHRASE_LIST
from synth_assets.core.rng import rng_for

N_PROMPTS = 20_000
JOINER = ", "
GENERAL_PHRASE_SET = frozenset(GENERAL_PHRASE_LIST)


def prompt_rng(seed: int = 11) -> np.random.Generator:
    return rng_for(seed, "content", "content_items", "prompts")


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return prompts.build_prompts(prompt_rng(), N_PROMPTS)


# --- vocabulary and templates -------------------------------------------------------------------------------

def test_thirty_distinct_snake_case_domains():
    assert len(prompts.DOMAINS) == 30 == len(set(prompts.DOMAINS))
    assert prompts.DOMAINS == tuple(DOMAIN_VOCABULARIES)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", key) for key in prompts.DOMAINS)
    assert len({v.label for v in DOMAIN_VOCABULARIES.values()}) == 30


@pytest.mark.parametrize("domain", sorted(DOMAIN_VOCABULARIES))
def test_domain_phrase_space(domain):
    vocabulary = DOMAIN_VOCABULARIES[domain]
    space = vocabulary.phrase_space()
    assert len(space) == len(set(space)) >= 500
    assert len(set(vocabulary.subject_phrases())) >= 500  # the first phrase alone varies that much
    # a prompt needs up to 29 distinct detail slots (no element twice)
    assert vocabulary.detail_slots >= DOMAIN_PHRASES[1] - 1
    assert not any("," in phrase or phrase != phrase.strip() or "  " in phrase for phrase in space)
    assert not set(space) & set(GENERAL_PHRASE_LIST)


def test_general_phrases():
    assert len(GENERAL_PHRASE_LIST) == len(set(GENERAL_PHRASE_LIST)) >= 150
    assert all(p and "," not in p and p == p.strip() for p in GENERAL_PHRASE_LIST)


def test_templates_load_with_strict_undefined_and_give_frames():
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(prompts.TEMPLATE_DIR),
                                     undefined=jinja2.StrictUndefined)
    styles = {v.style for v in DOMAIN_VOCABULARIES.values()}
    assert {p.stem for p in prompts.TEMPLATE_DIR.glob("*.j2")} >= styles
    for style in styles:
        template = environment.get_template(f"{style}.j2")
        with pytest.raises(jinja2.UndefinedError):
            template.render()  # the frame really depends on the domain and the slots
        domain = next(v for v in DOMAIN_VOCABULARIES.values() if v.style == style)
        lines = [line for line in template.render(domain=domain, slot=prompts.SLOT_MARKERS).splitlines()
                 if line.strip()]
        assert len(lines) >= 2 and all(prompts.SLOT_MARKERS["subject"] in line for line in lines)
    for domain in prompts.DOMAINS:
        frames = prompts.prompt_frames(domain)
        assert any(f.general_first for f in frames) and any(not f.general_first for f in frames)
        assert any(DOMAIN_VOCABULARIES[domain].medium in f.lead for f in frames)


# --- prompt structure ---------------------------------------------------------------------------------------

@cache
def _domain_index(domain: str) -> tuple[frozenset, dict, frozenset]:
    """Subject phrases; detail phrase -> the slot it fills (element or style phrase); frame leads."""
    vocabulary = DOMAIN_VOCABULARIES[domain]
    slots = {style: ("style", style) for style in vocabulary.style_phrases}
    for element in vocabulary.elements:
        slots[element] = ("element", element)
        slots.update({f"{trait} {element}": ("element", element) for trait in vocabulary.element_traits})
    leads = frozenset(f.lead for f in prompts.prompt_frames(domain))
    return frozenset(vocabulary.subject_phrases()), slots, leads


def _parse(prompt: str, domain: str) -> tuple[int, str, str, list[str], int]:
    """(general phrase count, frame lead, subject phrase, detail phrases, index of the subject piece)."""
    subjects, slots, leads = _domain_index(domain)
    pieces = prompt.split(JOINER)
    assert len(pieces) == len(set(pieces)), f"repeated phrase in {prompt!r}"
    general_mask = [piece in GENERAL_PHRASE_SET for piece in pieces]
    general = sum(general_mask)
    # the general phrases form one run, at the start or at the end
    assert general_mask in ([True] * general + [False] * (len(pieces) - general),
                            [False] * (len(pieces) - general) + [True] * general), prompt
    domain_pieces = [p for p, is_general in zip(pieces, general_mask) if not is_general]
    words = domain_pieces[0].split(" ")
    subject = next((" ".join(words[k:]) for k in range(len(words)) if " ".join(words[k:]) in subjects), None)
    assert subject is not None, f"first domain phrase of {prompt!r} is no {domain} subject phrase"
    lead = domain_pieces[0][: len(domain_pieces[0]) - len(subject)]
    assert lead in leads
    details = domain_pieces[1:]
    assert all(d in slots for d in details), f"{prompt!r} has a phrase outside {domain}"
    assert len({slots[d] for d in details}) == len(details), f"an element repeats in {prompt!r}"
    return general, lead, subject, details, general_mask.index(False)


def test_schema_and_row_count(sample):
    assert sample.height == N_PROMPTS
    assert sample.schema == pl.Schema({"prompt": pl.String, "title": pl.String, "domain": pl.String,
                                       "general_phrases": pl.Int16, "domain_phrases": pl.Int16})
    assert sample.null_count().sum_horizontal().item() == 0
    empty = prompts.build_prompts(prompt_rng(), 0)
    assert empty.height == 0 and empty.schema == sample.schema


def test_every_prompt_resplits_into_its_counts(sample):
    for row in sample.iter_rows(named=True):
        general, _, subject, details, _ = _parse(row["prompt"], row["domain"])
        assert general == row["general_phrases"]
        assert 1 + len(details) == row["domain_phrases"]
        article_free = subject.split(" ", 1)[1]
        assert row["title"].lower() == article_free and len(row["title"]) <= 120
        assert row["title"][0].isupper()


def test_counts_cover_their_ranges(sample):
    for column, (low, high) in (("general_phrases", GENERAL_PHRASES), ("domain_phrases", DOMAIN_PHRASES)):
        assert sample[column].min() == low and sample[column].max() == high
        assert sample[column].n_unique() == high - low + 1
    # sensibly skewed: short prompts are more common than long ones, but long ones are not rare
    counts = sample["domain_phrases"].value_counts().sort("domain_phrases")["count"]
    assert counts[0] > counts[-1] > 0.01 * N_PROMPTS
    assert 10 <= sample["domain_phrases"].mean() <= 18


def test_every_domain_appears_evenly(sample):
    per_domain = sample["domain"].value_counts()
    assert set(per_domain["domain"]) == set(prompts.DOMAINS)
    expected = N_PROMPTS / 30
    assert per_domain["count"].min() > 0.8 * expected and per_domain["count"].max() < 1.2 * expected


def test_frames_and_general_placement_vary(sample):
    general_first, leads = Counter(), Counter()
    for row in sample.head(3000).iter_rows(named=True):
        general, lead, _, _, subject_index = _parse(row["prompt"], row["domain"])
        leads[lead] += 1
        if general:
            general_first[subject_index > 0] += 1
    assert general_first[True] > 300 and general_first[False] > 300
    assert 300 < leads[""] < 2700 and len(leads) > 30  # bare and framed ("a wildlife photograph of ...")


def test_prompts_are_mostly_distinct(sample):
    assert sample["prompt"].n_unique() >= 0.999 * N_PROMPTS
    assert sample["title"].n_unique() > 0.5 * N_PROMPTS


def test_deterministic_for_a_seed():
    a = prompts.build_prompts(prompt_rng(5), 3_000)
    b = prompts.build_prompts(prompt_rng(5), 3_000)
    c = prompts.build_prompts(prompt_rng(6), 3_000)
    assert a.equals(b)
    assert (a["prompt"] != c["prompt"]).mean() > 0.99


def test_unknown_domain_is_named_with_the_valid_ones():
    with pytest.raises(ValueError) as error:
        prompts.build_prompts(prompt_rng(), 10, ("pixel_art", "not_a_domain"))
    message = str(error.value)
    assert "not_a_domain" in message and all(domain in message for domain in prompts.DOMAINS)
    with pytest.raises(ValueError):
        prompts.build_prompts(prompt_rng(), 10, ())


def test_domain_subset_is_respected():
    subset = ("wildlife_photography", "pixel_art", "deep_space")
    frame = prompts.build_prompts(prompt_rng(), 3_000, subset)
    assert set(frame["domain"]) == set(subset)
    for row in frame.iter_rows(named=True):
        _parse(row["prompt"], row["domain"])
    single = prompts.build_prompts(prompt_rng(), 200, ("food_photography",))
    assert set(single["domain"]) == {"food_photography"}


# --- tags ---------------------------------------------------------------------------------------------------

TAG_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
POOL = ContentConfig().tag_pool_size


def tag_rng(seed: int = 3) -> np.random.Generator:
    return rng_for(seed, "content", "content_items", "tags")


def test_pool_is_unique_well_formed_and_deterministic():
    largest = next(m.le for m in ContentConfig.model_fields["tag_pool_size"].metadata if hasattr(m, "le"))
    big = tags.tag_pool(largest)  # the largest pool the config allows
    assert len(big) == len(set(big)) == largest
    assert all(TAG_RE.fullmatch(t) and len(t) <= 64 for t in big)
    assert tags.tag_pool(POOL) == big[:POOL] == tags.tag_pool(POOL)
    with pytest.raises(ValueError):
        tags.tag_pool(0)
    with pytest.raises(ValueError):
        tags.tag_pool(tags.max_pool_size() + 1)


@pytest.fixture(scope="module")
def tag_sample() -> pl.Series:
    return tags.build_tags(tag_rng(), 200_000, POOL)


def test_tag_counts_are_skewed_over_the_full_range(tag_sample):
    lengths = tag_sample.list.len()
    assert tag_sample.dtype == pl.List(pl.String) and len(tag_sample) == 200_000
    assert lengths.min() == TAGS_PER_ITEM[0] and lengths.max() == TAGS_PER_ITEM[1]
    assert 8 <= lengths.mean() <= 15
    assert (lengths <= 15).mean() > 0.7 and (lengths > 100).sum() > 50


def test_tags_distinct_per_item_and_from_the_pool(tag_sample):
    assert (tag_sample.list.n_unique() == tag_sample.list.len()).all()
    assert set(tag_sample.explode().drop_nulls().unique()) <= set(tags.tag_pool(POOL))


def test_tag_popularity_is_zipf_like(tag_sample):
    counts = tag_sample.explode().drop_nulls().value_counts(sort=True)
    share_top = counts["count"].head(POOL // 100).sum() / counts["count"].sum()
    assert share_top > 0.20
    pool = tags.tag_pool(POOL)
    frequency = dict(zip(counts["tags"], counts["count"]))
    assert counts["tags"][0] == pool[0]
    assert frequency[pool[0]] > frequency[pool[9]] > frequency[pool[99]] > frequency.get(pool[999], 0)


def test_small_pool_still_gives_distinct_tags():
    for pool_size in (200, 30):
        lists = tags.build_tags(tag_rng(), 50_000, pool_size)
        lengths = lists.list.len()
        assert (lists.list.n_unique() == lengths).all() and lengths.max() <= min(pool_size, TAGS_PER_ITEM[1])
        assert set(lists.explode().drop_nulls().unique()) <= set(tags.tag_pool(pool_size))
        full = lists.filter(lengths == pool_size)  # items holding the whole pool, if any
        assert all(sorted(items) == sorted(tags.tag_pool(pool_size)) for items in full)


def test_tags_deterministic_for_a_seed():
    a, b, c = (tags.build_tags(tag_rng(seed), 5_000, POOL) for seed in (1, 1, 2))
    assert a.equals(b) and not a.equals(c)
    assert len(tags.build_tags(tag_rng(), 0, POOL)) == 0
