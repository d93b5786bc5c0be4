"""The content-platform contract: generation config (Pydantic), constants and the SQLAlchemy schema.

The SQLAlchemy tables are the single source of the DDL for both PostgreSQL (with foreign keys,
unique constraints and indexes) and DuckDB (same columns; integrity is verified by the checks).
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from synth_assets.content.vocabulary import DOMAIN_VOCABULARIES

SCHEMA = "content"
DEFAULT_ADMIN_ID = uuid.UUID("121e194b-4caa-4b81-ad4f-86ca3919d5b9")
ADMIN_ITEMS_PER_TABLE = 50
DEFAULT_START, DEFAULT_END = date(2025, 5, 1), date(2025, 9, 21)  # inclusive, US Eastern days
TIMEZONE = "America/New_York"
GENERAL_PHRASES = (0, 10)   # per prompt, inclusive
DOMAIN_PHRASES = (4, 30)    # per prompt, inclusive
TAGS_PER_ITEM = (0, 200)    # per item, inclusive
COMPLETED_SHARE = 0.98
OTHER_STATUS_SHARES = {"failed": 0.45, "cancelled": 0.20, "running": 0.15, "pending": 0.20}
CONTENT_TABLES = ("content_items", "content_items_auto")
ITEM_REFERENCE = {"content_items": "content_id", "content_items_auto": "auto_content_id"}  # job column per table


class ContentConfig(BaseModel):
    """Everything a content seed run depends on. Changing any value changes the data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(default=42, ge=0)
    users: int = Field(default=10_000, ge=1, le=50_000_000)
    content_items: int = Field(default=10_000, ge=0, le=50_000_000)
    content_items_auto: int = Field(default=10_000, ge=0, le=50_000_000)
    start: date = DEFAULT_START
    end: date = DEFAULT_END
    admin_user_id: uuid.UUID = DEFAULT_ADMIN_ID
    domains: tuple[str, ...] | None = Field(default=None, description="subset of the 30 domains; None = all")
    tag_pool_size: int = Field(default=2_000, ge=200, le=100_000)

    @model_validator(mode="after")
    def _consistent(self) -> ContentConfig:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.domains is not None:
            unknown = sorted(set(self.domains) - set(DOMAIN_VOCABULARIES))
            if unknown or not self.domains:
                raise ValueError(f"unknown or empty domains {unknown or list(self.domains)}; valid: "
                                 f"{', '.join(DOMAIN_VOCABULARIES)}")
        if self.users < 2 and (self.content_items or self.content_items_auto):
            raise ValueError("content needs at least one user besides the admin: set users >= 2")
        for table in ("content_items", "content_items_auto"):
            if 0 < getattr(self, table) < ADMIN_ITEMS_PER_TABLE:
                raise ValueError(f"{table}={getattr(self, table)}: the admin user alone owns "
                                 f"{ADMIN_ITEMS_PER_TABLE} items, so use 0 or at least {ADMIN_ITEMS_PER_TABLE}")
        return self

    @property
    def completed_jobs(self) -> int:
        """One completed job per content item, of either content table."""
        return self.content_items + self.content_items_auto

    @property
    def generation_jobs(self) -> int:
        """All jobs: the total whose completed share is nearest to COMPLETED_SHARE (the smaller on a tie)."""
        return jobs_for_completed(self.completed_jobs)

    @property
    def other_jobs(self) -> int:
        """Jobs that did not complete (failed, cancelled, running, pending)."""
        return self.generation_jobs - self.completed_jobs


def jobs_for_completed(completed: int) -> int:
    """The number of jobs ``total >= completed`` whose completed share is nearest to COMPLETED_SHARE."""
    if completed == 0:
        return 0
    low = max(completed, int(completed / COMPLETED_SHARE))
    return min((low, low + 1), key=lambda total: (abs(completed / total - COMPLETED_SHARE), total))


metadata = MetaData(schema=SCHEMA)
# a completed job made exactly one item (of either table); any other job made none
ONE_ITEM_IFF_COMPLETED = ("CASE WHEN status = 'completed' THEN (content_id IS NULL) <> (auto_content_id IS NULL) "
                          "ELSE content_id IS NULL AND auto_content_id IS NULL END")

# The indexes that carry created_at beside a user's id (the users' key, the items' creator, the jobs' user)
# let the checks that a parent existed before its child merge two index-only scans instead of probing a
# hash table of every user: on the 1M-row seed 0.34 instead of 1.5 CPU-s per content table.
users = Table(
    "users", metadata,
    Column("id", Uuid, nullable=False),
    Column("username", String(64), nullable=False),
    Column("email", String(254), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("preferences", JSON().with_variant(JSONB, "postgresql"), nullable=False),
    PrimaryKeyConstraint("id", postgresql_include=["created_at"]),
    UniqueConstraint("username", name="uq_users_username"),
    UniqueConstraint("email", name="uq_users_email"),
    Index("ix_users_created_at", "created_at"),
)


def _content_table(name: str) -> Table:
    return Table(
        name, metadata,
        Column("id", Uuid, primary_key=True),
        Column("title", String(255), nullable=False),
        Column("content_type", String(32), nullable=False),
        Column("content_data", Text, nullable=False, comment="image path"),
        Column("prompt", Text, nullable=False),
        Column("item_metadata", JSON().with_variant(JSONB, "postgresql"), nullable=False),
        Column("creator_id", Uuid, nullable=False),
        Column("tags", ARRAY(String(64)).with_variant(ARRAY(String(64)), "postgresql"), nullable=False),
        Column("quality_score", Float, nullable=False),
        Column("is_private", Boolean, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        ForeignKeyConstraint(["creator_id"], [f"{SCHEMA}.users.id"], name=f"fk_{name}_creator",
                             deferrable=True, initially="DEFERRED"),
        CheckConstraint("quality_score >= 0 AND quality_score <= 1", name=f"ck_{name}_quality"),
        Index(f"ix_{name}_creator_id", "creator_id", "created_at"),
        Index(f"ix_{name}_created_at", "created_at"),
    )


content_items = _content_table("content_items")
content_items_auto = _content_table("content_items_auto")

generation_jobs = Table(
    "generation_jobs", metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("job_type", String(32), nullable=False),
    Column("prompt", Text, nullable=False),
    Column("parameters", JSON().with_variant(JSONB, "postgresql"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("content_id", Uuid, nullable=True, comment="the content_items row a completed job made"),
    Column("auto_content_id", Uuid, nullable=True, comment="the content_items_auto row a completed job made"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("error_message", Text, nullable=True),
    ForeignKeyConstraint(["user_id"], [f"{SCHEMA}.users.id"], name="fk_jobs_user",
                         deferrable=True, initially="DEFERRED"),
    ForeignKeyConstraint(["content_id"], [f"{SCHEMA}.content_items.id"], name="fk_jobs_content",
                         deferrable=True, initially="DEFERRED"),
    ForeignKeyConstraint(["auto_content_id"], [f"{SCHEMA}.content_items_auto.id"], name="fk_jobs_auto_content",
                         deferrable=True, initially="DEFERRED"),
    UniqueConstraint("content_id", name="uq_jobs_content_id"),
    UniqueConstraint("auto_content_id", name="uq_jobs_auto_content_id"),
    CheckConstraint("status IN ('pending', 'running', 'completed', 'failed', 'cancelled')", name="ck_jobs_status"),
    CheckConstraint(ONE_ITEM_IFF_COMPLETED, name="ck_jobs_one_item_iff_completed"),
    CheckConstraint("started_at IS NULL OR started_at >= created_at", name="ck_jobs_started_after_created"),
    CheckConstraint("completed_at IS NULL OR completed_at >= started_at", name="ck_jobs_completed_after_started"),
    Index("ix_jobs_user_id", "user_id", "created_at"),
    # the jobs still to look at (2 % of them): a queue's "pending/running/failed jobs" is an index scan, and the
    # index is built from 40k rows instead of 2M (a completed job is found through its item or its user)
    Index("ix_jobs_status", "status", postgresql_where=text("status <> 'completed'")),
    Index("ix_jobs_created_at", "created_at"),
)

TABLES = {t.name: t for t in (users, content_items, content_items_auto, generation_jobs)}
LOAD_ORDER = ("users", "content_items", "content_items_auto", "generation_jobs")
