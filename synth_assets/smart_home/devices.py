"""``smart_home.devices`` and ``smart_home.entities``: what is installed in each area, as Home Assistant
registers it.

Devices: every area is offered every placement of its kind (catalogue.PLACEMENTS); whether it is there,
how many and which model come from block ``slot`` of the stream ``(seed, "smart_home", "devices",
home_index)``, three words per placement, so an area's devices depend only on its home and slot. Each
occupant has a phone (mobile_app, no area). Device ids are 32 hex digits, as Home Assistant's
``uuid_util.random_uuid_hex``, from the words of the same stream that follow the phone block.

Entities: each device's template lists its entities (domain, device class, unit, name); each occupant is
also a ``person``. The object id is Home Assistant's slug of ``"<device name> <entity name>"`` (the device
name alone for the main feature) and the entity id is registered in row order with Home Assistant's
``_2`` rule (slugs.unique_entity_ids). Pure: no Dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synth_assets.core.rng import seed_sequence, to_uniform
from synth_assets.smart_home.areas import AREA_WORDS
from synth_assets.smart_home.catalogue import PHONE_TEMPLATE, PLACEMENTS, TEMPLATES, entity_spec_frame
from synth_assets.smart_home.homes import FAMILY
from synth_assets.smart_home.models import DEVICES_SCHEMA, ENTITIES_SCHEMA, HOME_TYPES
from synth_assets.smart_home.slugs import slug_column, unique_entity_ids

WORDS_PER_PLACEMENT = 3  # present?, how many, which model
BLOCK_WORDS = -(-(WORDS_PER_PLACEMENT * len(PLACEMENTS)) // 4) * 4
PHONE_BLOCK = AREA_WORDS  # the block after the last possible area slot: phone models, one word per occupant
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def hex_ids(words: np.ndarray, name: str = "device_id") -> pl.Series:
    """32 lowercase hex digits per row of an ``(n, 2)`` uint64 array, vectorised."""
    raw = np.ascontiguousarray(words, dtype="<u8").view(np.uint8).reshape(-1, 16)
    digits = _HEX_DIGITS[np.stack([raw >> 4, raw & 0x0F], axis=-1).reshape(-1, 32)]
    return pl.Series(name, digits.view("S32").ravel()).cast(pl.String)


_TEMPLATE_KEYS = tuple(TEMPLATES)
_PHONE_CODE = _TEMPLATE_KEYS.index(PHONE_TEMPLATE)


def _catalogue_arrays() -> dict[str, np.ndarray]:
    """The catalogue as small arrays indexed by template code or (kind, placement)."""
    models = [(code, m, model) for code, t in enumerate(TEMPLATES.values()) for m, model in t.models]
    kinds = sorted({kind for p in PLACEMENTS for kind in p.kinds})
    offered = np.zeros((len(kinds), len(PLACEMENTS)), dtype=bool)
    for j, placement in enumerate(PLACEMENTS):
        offered[[kinds.index(k) for k in placement.kinds], j] = True
    return {
        "kinds": np.array(kinds, dtype=object), "offered": offered,
        "placement_template": np.array([_TEMPLATE_KEYS.index(p.template) for p in PLACEMENTS]),
        "probability": np.array([p.probability for p in PLACEMENTS]),
        "count_low": np.array([p.count[0] for p in PLACEMENTS]),
        "count_high": np.array([p.count[1] for p in PLACEMENTS]),
        "n_models": np.array([len(t.models) for t in TEMPLATES.values()]),
        "first_model": np.concatenate([[0], np.cumsum([len(t.models) for t in TEMPLATES.values()])[:-1]]),
        "manufacturer": np.array([m for _, m, _ in models], dtype=object),
        "model": np.array([model for _, _, model in models], dtype=object),
        "label": np.array([t.label for t in TEMPLATES.values()], dtype=object),
        "integration": np.array([t.integration for t in TEMPLATES.values()], dtype=object),
    }


def _stream_words(seed: int, homes: pl.DataFrame, areas: pl.DataFrame, home_pos: np.ndarray,
                  slot: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """Per home, one Philox stream: blocks ``0 .. PHONE_BLOCK`` (areas by slot, then phones), then ids.

    Returns area uniforms ``(n_areas, BLOCK_WORDS)``, phone uniforms ``(n_homes, BLOCK_WORDS)`` and each
    home's bit generator, positioned after the phone block (its next words are the device ids).
    """
    area_words = np.empty((areas.height, BLOCK_WORDS), dtype=np.uint64)
    phone_words = np.empty((homes.height, BLOCK_WORDS), dtype=np.uint64)
    bounds = np.searchsorted(home_pos, np.arange(homes.height + 1))
    streams = []
    for pos, home_index in enumerate(homes["home_index"].to_list()):
        stream = np.random.Philox(seed_sequence(seed, FAMILY, "devices", int(home_index)))
        blocks = stream.random_raw((PHONE_BLOCK + 1) * BLOCK_WORDS).reshape(PHONE_BLOCK + 1, BLOCK_WORDS)
        first, last = bounds[pos], bounds[pos + 1]
        area_words[first:last] = blocks[slot[first:last]]
        phone_words[pos] = blocks[PHONE_BLOCK]
        streams.append(stream)
    return to_uniform(area_words), to_uniform(phone_words), streams


def _home_positions(homes: pl.DataFrame, rows: pl.DataFrame) -> np.ndarray:
    """Position in ``homes`` of each row's home_id (rows ordered by home)."""
    positions = homes.select("home_id").with_row_index("home_pos")
    return rows.select("home_id").join(positions, on="home_id", how="left", maintain_order="left")[
        "home_pos"].to_numpy().astype(np.int64)


def generate_devices(seed: int, homes: pl.DataFrame, areas: pl.DataFrame) -> pl.DataFrame:
    """Devices of ``homes`` (ordered by home_index) in their ``areas`` (ordered by home, then slot)."""
    cat = _catalogue_arrays()
    home_pos = _home_positions(homes, areas)
    home_types = homes["home_type"].to_numpy()[home_pos]
    slot_of = {(t, a.name): i for t, spec in HOME_TYPES.items() for i, a in enumerate(spec.areas)}
    names = areas["name"].to_numpy()
    slot = np.array([slot_of[key] for key in zip(home_types, names, strict=True)], dtype=np.int64)
    area_u, phone_u, streams = _stream_words(seed, homes, areas, home_pos, slot)

    # every (area, placement) offered to the area's kind, in area order then placement order
    kind_code = np.searchsorted(cat["kinds"], areas["area_kind"].to_numpy())
    area_row, placement = np.nonzero(cat["offered"][kind_code])
    density = np.array([HOME_TYPES[t].device_density for t in home_types])[area_row]
    column = placement * WORDS_PER_PLACEMENT
    u_present, u_count, u_model = (area_u[area_row, column + k] for k in range(WORDS_PER_PLACEMENT))
    low, high = cat["count_low"][placement], cat["count_high"][placement]
    present = u_present < np.minimum(1.0, cat["probability"][placement] * density)
    count = np.where(present, low + np.floor(u_count * (high - low + 1)).astype(np.int64), 0)
    pick = np.repeat(np.arange(len(area_row)), count)
    installed_area, installed_template, installed_u = area_row[pick], cat["placement_template"][placement[pick]], \
        u_model[pick]

    occupants = homes["occupants"].to_numpy().astype(np.int64)
    phone_home = np.repeat(np.arange(homes.height), occupants)
    phone_slot = np.arange(len(phone_home)) - np.repeat(np.cumsum(occupants) - occupants, occupants)
    owners = homes["occupant_names"].explode()

    # each home's phones first, then its installed devices in area order
    device_home = np.concatenate([phone_home, home_pos[installed_area]])
    order = np.lexsort((np.r_[np.zeros(len(phone_home)), np.ones(len(installed_area))], device_home))
    template = np.concatenate([np.full(len(phone_home), _PHONE_CODE), installed_template])[order]
    u_pick = np.concatenate([phone_u[phone_home, phone_slot], installed_u])[order]
    no_strings = pl.Series([None] * len(phone_home), dtype=pl.String)
    area_id = pl.concat([no_strings, areas["area_id"].gather(installed_area)]).gather(order)
    labels = pl.Series(cat["label"].tolist(), dtype=pl.String)
    name = pl.concat([owners + "'s Phone", areas["name"].gather(installed_area) + " " + labels.gather(
        installed_template)]).gather(order)
    owner = pl.concat([owners, pl.Series([None] * len(installed_area), dtype=pl.String)]).gather(order)
    device_home = device_home[order]
    model = cat["first_model"][template] + np.floor(u_pick * cat["n_models"][template]).astype(np.int64)

    per_home = np.bincount(device_home, minlength=homes.height)
    id_words = np.concatenate([stream.random_raw(2 * int(n)) for stream, n in zip(streams, per_home, strict=True)]
                              or [np.empty(0, np.uint64)])
    return pl.DataFrame({
        "home_id": homes["home_id"].gather(device_home), "device_id": hex_ids(id_words.reshape(-1, 2)),
        "area_id": area_id, "name": name,
        "device_type": pl.Series(_TEMPLATE_KEYS, dtype=pl.String).gather(template),
        "manufacturer": pl.Series(cat["manufacturer"].tolist(), dtype=pl.String).gather(model),
        "model": pl.Series(cat["model"].tolist(), dtype=pl.String).gather(model),
        "integration": pl.Series(cat["integration"].tolist(), dtype=pl.String).gather(template),
        "occupant_name": owner,
    }).select([pl.col(f.name) for f in DEVICES_SCHEMA])


def generate_entities(homes: pl.DataFrame, devices: pl.DataFrame) -> pl.DataFrame:
    """Entities of ``devices`` (in device order, after each home's ``person`` entities)."""
    specs = entity_spec_frame()
    template = pl.Series(devices["device_type"]).replace_strict(
        {k: i for i, k in enumerate(_TEMPLATE_KEYS)}, return_dtype=pl.Int64).to_numpy()
    per_template = np.bincount(specs["device_type"].replace_strict(
        {k: i for i, k in enumerate(_TEMPLATE_KEYS)}, return_dtype=pl.Int64).to_numpy(), minlength=len(TEMPLATES))
    first_spec = np.cumsum(per_template) - per_template
    n = per_template[template]
    device_row = np.repeat(np.arange(devices.height), n)
    spec_row = first_spec[template][device_row] + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    spec = specs.gather(spec_row)
    owned = devices.select("home_id", "device_id", "area_id", pl.col("integration").alias("platform"),
                           "name").gather(device_row).with_columns(spec)
    owned = owned.with_columns(
        original_name=pl.col("entity_name"),
        suggested=pl.when(pl.col("entity_name").is_null()).then(pl.col("name"))
        .otherwise(pl.col("name") + " " + pl.col("entity_name")))

    persons = homes.select("home_id", pl.col("occupant_names").alias("original_name")).explode("original_name")
    persons = persons.with_columns(domain=pl.lit("person"), platform=pl.lit("person"),
                                   suggested=pl.col("original_name"))
    person_home = np.repeat(np.arange(homes.height), homes["occupants"].to_numpy().astype(np.int64))
    owned_home = _home_positions(homes, devices)[device_row]
    entity_home = np.concatenate([person_home, owned_home])
    order = np.lexsort((np.r_[np.zeros(len(person_home)), np.ones(len(owned_home))], entity_home))
    entities = pl.concat([persons, owned.drop("name", "entity_name", "entity_order", "device_type")],
                         how="diagonal_relaxed")[order]
    preferred = entities["domain"] + "." + slug_column(entities["suggested"])
    entity_ids = unique_entity_ids(pl.Series(entity_home[order]), preferred)
    return entities.with_columns(entity_id=entity_ids).select([pl.col(f.name) for f in ENTITIES_SCHEMA])
