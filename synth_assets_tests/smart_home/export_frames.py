"""Small frames for the export tests: real homes, areas, devices, entities and occupants from the
generators, and events / correlations written by hand to the contract in ``smart_home.models``
(``EVENTS_SCHEMA``, ``CORRELATIONS_SCHEMA``), so the export is tested without the event generator."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pyarrow as pa

from synth_assets.air_quality.cities import select_cities
from synth_assets.smart_home.areas import generate_areas
from synth_assets.smart_home.devices import generate_devices, generate_entities
from synth_assets.smart_home.export.home_export import HomeTables
from synth_assets.smart_home.homes import generate_homes
from synth_assets.smart_home.models import CORRELATIONS_SCHEMA, EVENTS_SCHEMA, SmartHomeConfig
from synth_assets.smart_home.people import occupants

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DAYS = (date(2024, 3, 4), date(2024, 3, 5))


def ulid(moment: datetime, rng: random.Random) -> str:
    """A ULID as Home Assistant makes context ids: 48-bit milliseconds, 80 random bits."""
    value = (int(moment.timestamp() * 1000) << 80) | rng.getrandbits(80)
    return "".join(CROCKFORD[(value >> (5 * (25 - i))) & 31] for i in range(26))


def dimensions(seed: int = 7, homes: int = 3) -> dict[str, pl.DataFrame]:
    config = SmartHomeConfig(seed=seed, homes=homes)
    home_rows = generate_homes(config, select_cities("full"))
    areas = generate_areas(seed, home_rows)
    devices = generate_devices(seed, home_rows, areas)
    return {"homes": home_rows, "areas": areas, "devices": devices,
            "entities": generate_entities(home_rows, devices), "people": occupants(seed, home_rows)}


def _value(entity: dict, step: int, rng: random.Random, energy: float) -> tuple[str, str | None]:
    domain, device_class = entity["domain"], entity["device_class"]
    if domain == "sensor" and device_class == "energy":
        return f"{energy:.3f}", None
    if domain == "sensor":
        return f"{rng.uniform(10, 30):.1f}", None
    if domain in ("person", "device_tracker"):
        return ("home" if step % 2 == 0 else "not_home"), None
    if domain == "light":
        on = step % 2 == 0
        return ("on" if on else "off"), (json.dumps({"brightness": rng.randrange(1, 255)}) if on else None)
    if domain == "lock":
        return ("locked" if step % 2 == 0 else "unlocked"), None
    if domain == "climate":
        return "heat", json.dumps({"current_temperature": round(rng.uniform(18, 23), 1), "temperature": 21})
    return ("on" if step % 2 == 0 else "off"), None


def events_for(home: dict, entities: pl.DataFrame, people: pl.DataFrame, days=DAYS, per_entity: int = 6,
               seed: int = 1) -> pl.DataFrame:
    """A few state writes per entity and local day, with automation (parent) and manual (user) contexts."""
    rng = random.Random(seed)
    zone = ZoneInfo(home["timezone"])
    users = people.filter(pl.col("home_id") == home["home_id"])["user_id"].to_list()
    rows = []
    for entity in entities.filter(pl.col("home_id") == home["home_id"]).iter_rows(named=True):
        energy = rng.uniform(100, 200)
        previous_context = None
        for day in days:
            start = datetime.combine(day, time(0), zone)
            moments = sorted(start + timedelta(seconds=rng.uniform(0, 86_399)) for _ in range(per_entity))
            for step, moment in enumerate(moments):
                energy += rng.uniform(0, 0.5)
                state, attributes = _value(entity, step, rng, energy)
                moment = moment.astimezone(UTC).replace(microsecond=moment.microsecond)
                changed = moment if step % 5 else moment - timedelta(seconds=1) if step else moment
                context = ulid(moment, rng)
                user = users[step % len(users)] if step % 3 == 1 and users else None
                parent = previous_context if step % 3 == 2 else None
                rows.append((home["home_id"], entity["entity_id"], moment, min(changed, moment), state, attributes,
                             context, parent, user))
                previous_context = context
    columns = list(zip(*rows, strict=True))
    table = pa.table({f.name: pa.array(list(col), f.type) for f, col in zip(EVENTS_SCHEMA, columns, strict=True)})
    return pl.from_arrow(table).sort("home_id", "timestamp", "entity_id")


def correlations_for(home_id: str, entities: pl.DataFrame) -> pl.DataFrame:
    """Planted rules of every kind the home's entities allow, plus one three-step chain."""
    mine = entities.filter(pl.col("home_id") == home_id)

    def first(domain: str, device_class: str | None = None, skip: int = 0) -> str | None:
        rows = mine.filter(pl.col("domain") == domain)
        if device_class:
            rows = rows.filter(pl.col("device_class") == device_class)
        return rows["entity_id"][skip] if rows.height > skip else None

    motion, light = first("binary_sensor", "motion"), first("light")
    temperature, climate = first("sensor", "temperature"), first("climate")
    person, switch = first("person"), first("switch") or first("light", skip=1)
    rules = []
    if motion and light:
        illuminance = first("sensor", "illuminance")
        rules.append(("r01", "motion_light", motion, light, 2.0, f"{illuminance} < 30 lx" if illuminance else None,
                      None, None))
    if temperature and climate:
        rules.append(("r02", "temperature_climate", temperature, climate, 60.0, None, None, None))
    if person and light:
        rules.append(("r03", "away_all_off", person, light, 30.0, "when everyone has left", None, None))
    if motion and light and switch:
        rules += [("r04", "chain", motion, light, 3.0, None, "c01", 1),
                  ("r05", "chain", light, switch, 20.0, None, "c01", 2)]
    columns = list(zip(*[(home_id, *rule) for rule in rules], strict=True)) or [[]] * len(CORRELATIONS_SCHEMA)
    return pl.from_arrow(pa.table({f.name: pa.array(list(col), f.type)
                                   for f, col in zip(CORRELATIONS_SCHEMA, columns, strict=True)}))


def home_tables(dims: dict[str, pl.DataFrame], position: int = 0, days=DAYS) -> HomeTables:
    home = dims["homes"].row(position, named=True)
    home_id = home["home_id"]

    def mine(name: str) -> pl.DataFrame:
        return dims[name].filter(pl.col("home_id") == home_id)

    return HomeTables(home=home, elevation_m=123.0, areas=mine("areas"), devices=mine("devices"),
                      entities=mine("entities"), people=mine("people"),
                      events=events_for(home, dims["entities"], dims["people"], days),
                      correlations=correlations_for(home_id, dims["entities"]))
