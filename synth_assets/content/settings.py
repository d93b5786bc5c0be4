"""The content family's resource: generation config and target database, from env or run config.

Environment variables: ``SYNTH_SEED``, ``SYNTH_CONTENT_USERS``, ``SYNTH_CONTENT_ITEMS``,
``SYNTH_CONTENT_ITEMS_AUTO`` and ``DATABASE_URL`` (a PostgreSQL database whose name ends
in ``_demo`` or ``_test``; unset = the embedded DuckDB file). The range of days, ``SYNTH_CONTENT_START``
/ ``SYNTH_CONTENT_END``, defines the partitions and is read in :mod:`synth_assets.deployment`.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from synth_assets.content.models import DEFAULT_ADMIN_ID, ContentConfig
from synth_assets.core.env import FromEnv, parse_int
from synth_assets.core.resources import EnvSettings

CONTENT_FROM_ENV = (
    FromEnv("users", "SYNTH_CONTENT_USERS", 10_000, parse_int, "an integer"),
    FromEnv("content_items", "SYNTH_CONTENT_ITEMS", 10_000, parse_int, "an integer"),
    FromEnv("content_items_auto", "SYNTH_CONTENT_ITEMS_AUTO", 10_000, parse_int, "an integer"),
    FromEnv("database_url", "DATABASE_URL", None),
)


class ContentSettings(EnvSettings):
    """How much content to generate, with which seed, and where to load it.

    The seed is the master seed of the ``settings`` resource (``SYNTH_SEED``) unless ``seed`` overrides
    it for content. Any other field left unset takes its environment variable (``SYNTH_CONTENT_USERS``,
    ``SYNTH_CONTENT_ITEMS``, ``SYNTH_CONTENT_ITEMS_AUTO``, ``DATABASE_URL``) when the run starts, so a
    partial run config changes only what it names. ``database_url: ""`` forces the DuckDB file.
    """

    ENV: ClassVar[tuple[FromEnv, ...]] = CONTENT_FROM_ENV

    seed: int | None = Field(default=None, ge=0,
                             description="content only: overrides the master seed of resource `settings` "
                                         "(unset: the master seed, i.e. SYNTH_SEED or run config)")
    users: int | None = Field(default=None, ge=1, description="unset: SYNTH_CONTENT_USERS, else 10,000")
    content_items: int | None = Field(default=None, ge=0, description="unset: SYNTH_CONTENT_ITEMS, else 10,000")
    content_items_auto: int | None = Field(default=None, ge=0,
                                           description="unset: SYNTH_CONTENT_ITEMS_AUTO, else 10,000")
    admin_user_id: str = Field(default=str(DEFAULT_ADMIN_ID))
    domains: list[str] | None = Field(default=None, description="subset of the 30 prompt domains")
    tag_pool_size: int = Field(default=2_000)
    database_url: str | None = Field(
        default=None, description="PostgreSQL *_demo/*_test; unset: DATABASE_URL; empty or unset: the DuckDB file")

    def config(self, start: date, end: date, master_seed: int) -> ContentConfig:
        """The validated generation config (a Pydantic error names the bad field before any write).

        ``start``/``end`` come from the partitions (``SYNTH_CONTENT_START/END`` at load time);
        ``master_seed`` is the run's seed (resource ``settings``), used unless ``seed`` is set here.
        """
        return ContentConfig(
            seed=master_seed if self.seed is None else self.seed, users=self.users, content_items=self.content_items,
            content_items_auto=self.content_items_auto, admin_user_id=self.admin_user_id,
            domains=None if self.domains is None else tuple(self.domains), tag_pool_size=self.tag_pool_size,
            start=start, end=end)

