"""The seed's own content design, as the baseline `make bench` compares against (never used for data).

Seed 004: Faker for every field, one row at a time, a Jinja2 render per prompt, username conflicts
resolved by retrying, and SQLAlchemy ``bulk_insert_mappings`` into PostgreSQL, table by table.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta, timezone

from faker import Faker
from jinja2 import Template
from sqlalchemy.orm import Session, declarative_base

from synth_assets.content import models as m
from synth_assets.content.vocabulary import GENERAL_PHRASES

Base = declarative_base()


class User(Base):
    __table__ = m.users


class ContentItem(Base):
    __table__ = m.content_items


class GenerationJob(Base):
    __table__ = m.generation_jobs


PROMPT = Template("{{ general | join(', ') }}{% if general %}, {% endif %}{{ domain | join(', ') }}")


def run_naive(engine, n: int, seed: int = 1) -> dict[str, tuple[int, float]]:
    """Generate and insert ``n`` users, ``n`` items and their jobs; returns rows and seconds per table."""
    import time

    fake, rnd = Faker(), random.Random(seed)
    Faker.seed(seed)
    words = [w for w in GENERAL_PHRASES]
    start = datetime(2025, 5, 1, 4, tzinfo=timezone.utc)
    timings = {}
    with Session(engine) as session:
        began = time.perf_counter()
        users, seen = [], set()
        for _ in range(n):
            name = fake.user_name()
            while name in seen:  # the seed: resolve username conflicts by retrying
                name = fake.user_name() + str(rnd.randint(1, 9999))
            seen.add(name)
            created = start + timedelta(seconds=rnd.randint(0, 140 * 86400))
            users.append(dict(id=uuid.uuid4(), username=name, email=f"{name}@{fake.free_email_domain()}",
                              created_at=created, updated_at=created, is_active=rnd.random() < 0.94,
                              preferences={"theme": rnd.choice(["light", "dark"]), "language": "en"}))
        session.bulk_insert_mappings(User, users)
        session.commit()
        timings["users"] = (n, time.perf_counter() - began)

        began = time.perf_counter()
        items = []
        for _ in range(n):
            owner = rnd.choice(users)
            prompt = PROMPT.render(general=rnd.sample(words, rnd.randint(0, 10)),
                                   domain=[fake.sentence(nb_words=4).rstrip(".") for _ in range(rnd.randint(4, 30))])
            created = owner["created_at"] + timedelta(seconds=rnd.randint(1, 86400))
            items.append(dict(id=uuid.uuid4(), title=prompt[:60], content_type="image",
                              content_data=f"/data/images/{uuid.uuid4()}.png", prompt=prompt,
                              item_metadata=json.loads(json.dumps({"width": 1024, "height": 1024})),
                              creator_id=owner["id"], tags=[fake.word() for _ in range(rnd.randint(0, 20))],
                              quality_score=rnd.random(), is_private=rnd.random() < 0.12,
                              created_at=created, updated_at=created))
        session.bulk_insert_mappings(ContentItem, items)
        session.commit()
        timings["content_items"] = (n, time.perf_counter() - began)

        began = time.perf_counter()
        jobs = [dict(id=uuid.uuid4(), user_id=item["creator_id"], job_type="image_generation", prompt=item["prompt"],
                     parameters={"steps": rnd.randint(20, 50)}, status="completed", content_id=item["id"],
                     created_at=item["created_at"] - timedelta(seconds=20),
                     started_at=item["created_at"] - timedelta(seconds=15), completed_at=item["created_at"])
                for item in items]
        session.bulk_insert_mappings(GenerationJob, jobs)
        session.commit()
        timings["generation_jobs"] = (n, time.perf_counter() - began)
    return timings
