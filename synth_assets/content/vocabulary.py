"""Prompt vocabulary: general phrases and the 30 domains, keyed by domain."""

from __future__ import annotations

from synth_assets.content.vocabulary_base import GENERAL_PHRASES, PROMPT_STYLES, DomainVocabulary, with_article  # noqa: F401  (re-exported)
from synth_assets.content.vocabulary_domains import DOMAIN_LIST

DOMAIN_VOCABULARIES: dict[str, DomainVocabulary] = {domain.key: domain for domain in DOMAIN_LIST}
