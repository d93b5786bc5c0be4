"""The seed's own design of the event generator, as the baseline `make bench` compares against (never
used for data).

Seeds 000/001 copy ``synthetic_event_generator.py``: a loop over the devices of each home, and per event
a call to ``random`` for a uniform hour of the day and the state, one Python dict per event with its
attributes and context, then a sort by time. States do not alternate and nothing is vectorised. Here
the loop draws as many events per entity as our generator wrote for it, so both sides make the same
volume; ``random.Random`` is seeded so the bench itself repeats.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta, timezone

BINARY = ("on", "off")


def naive_events(entities: list[dict], per_entity: dict[tuple[str, str], int], day: datetime,
                 seed: int = 0) -> list[dict]:
    """One dict per event, per entity in a Python loop (the original design)."""
    rng = random.Random(seed)
    out = []
    for entity in entities:
        key = (entity["home_id"], entity["entity_id"])
        numeric = entity["domain"] == "sensor"
        for _ in range(per_entity.get(key, 0)):
            moment = day + timedelta(seconds=rng.uniform(0, 86_400))
            if numeric:
                state = str(round(rng.gauss(20.0, 3.0), 1))
                attributes = {"unit_of_measurement": entity["unit_of_measurement"]}
            else:
                state = rng.choice(BINARY)
                attributes = {"brightness": rng.randint(1, 255)} if entity["domain"] == "light" else {}
            out.append({"home_id": entity["home_id"], "entity_id": entity["entity_id"], "timestamp": moment,
                        "last_changed": moment, "state": state, "attributes": json.dumps(attributes),
                        "context_id": uuid.UUID(int=rng.getrandbits(128)).hex, "context_parent_id": None,
                        "context_user_id": None})
    out.sort(key=lambda row: (row["home_id"], row["timestamp"], row["entity_id"]))
    return out


def start_of(day) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
