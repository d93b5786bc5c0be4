"""``smart_home.devices`` and ``smart_home.entities``: what is installed in each area, as Home Assistant
registers it.

Devices: every area is offered every placement of its kind (catalogue.PLACEMENTS); whether it is there,
how many and which model come from block ``slot`` of the stream ``(seed, "smart_home", "devices",
home_index)``, three words per placement, so an area's devices depend only on its home and slot. Each
occupant has a phone (mobile_app, no area). Device ids are 32 hex digits, as Home Assistant's
``uuid_util.random_uuid_hex``, from ``(seed, "smart_home", "device_ids", home_index)``.

Entities: each device's template lists its entities (domain, device class, unit, name); each occupant is
also a ``person``. The object id is Home Assistant's slug of ``"<device name> <entity name>"`` (the device
name alone for the main feature) and the entity id is registered in row order with Home Assistant's
``_2`` rule (slugs.unique_entity_ids). Pure: no Dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synth_assets.core.rng import rng_for, to_uniform
from synth_assets.smart_home.areas import AREA_WORDS
from synth_assets.smart_home.catalogue import PHONE_TEMPLATE, PLACEMENTS, TEMPLATES, entity_spec_frame, placement_frame
from synth_assets.smart_home.homes import FAMILY, home_words
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


def _model_frame() -> pl.DataFrame:
    rows = [(key, i, manufacturer, model, len(t.models), t.integration, t.label)
            for key, t in TEMPLATES.items() for i, (manufacturer, model) in enumerate(t.models)]
    return pl.DataFrame(rows, orient="row", schema={
        "device_type": pl.String, "model_index": pl.Int32, "manufacturer": pl.String, "model": pl.String,
        "n_models": pl.Int32, "integration": pl.String, "label": pl.String})


def _area_draws(seed: int, homes: pl.DataFrame, areas: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Uniforms per area row ``(n_areas, BLOCK_WORDS)`` and per home's phones ``(n_homes, BLOCK_WORDS)``."""
    slots = areas.join(homes.select("home_id", "home_type"), on="home_id", how="left", maintain_order="left")
    slot_of = {t: {a.name: i for i, a in enumerate(spec.areas)} for t, spec in HOME_TYPES.items()}
    lookup = pl.DataFrame([(t, n, i) for t, m in slot_of.items() for n, i in m.items()], orient="row",
                          schema={"home_type": pl.String, "name": pl.String, "slot": pl.Int64})
    slot = slots.join(lookup, on=["home_type", "name"], how="left", maintain_order="left")["slot"].to_numpy()
    area_counts = areas.group_by("home_id", maintain_order=True).len()
    counts = dict(zip(area_counts["home_id"].to_list(), area_counts["len"].to_list(), strict=True))
    area_words = np.empty((areas.height, BLOCK_WORDS), dtype=np.uint64)
    phone_words = np.empty((homes.height, BLOCK_WORDS), dtype=np.uint64)
    row = 0
    for pos, (home_id, home_index) in enumerate(homes.select("home_id", "home_index").iter_rows()):
        blocks = home_words(seed, "devices", home_index, PHONE_BLOCK + 1, BLOCK_WORDS)
        n = counts.get(home_id, 0)
        area_words[row:row + n] = blocks[slot[row:row + n]]
        phone_words[pos] = blocks[PHONE_BLOCK]
        row += n
    return to_uniform(area_words), to_uniform(phone_words)


def generate_devices(seed: int, homes: pl.DataFrame, areas: pl.DataFrame) -> pl.DataFrame:
    """Devices of ``homes`` (ordered by home_index) in their ``areas`` (ordered by home, then slot)."""
    area_u, phone_u = _area_draws(seed, homes, areas)
    density = pl.DataFrame({"home_type": list(HOME_TYPES), "density": [s.device_density for s in HOME_TYPES.values()]})
    candidates = (areas.select("home_id", "area_id", "name", "area_kind").with_row_index("area_row")
                  .join(homes.select("home_id", "home_type"), on="home_id", how="left")
                  .join(density, on="home_type").join(placement_frame(), on="area_kind")
                  .sort("area_row", "placement"))
    rows, column = candidates["area_row"].to_numpy(), candidates["placement"].to_numpy() * WORDS_PER_PLACEMENT
    u_present, u_count, u_model = (area_u[rows, column + k] for k in range(WORDS_PER_PLACEMENT))
    probability = np.minimum(1.0, candidates["probability"].to_numpy() * candidates["density"].to_numpy())
    low, high = candidates["count_low"].to_numpy(), candidates["count_high"].to_numpy()
    count = np.where(u_present < probability, low + np.floor(u_count * (high - low + 1)).astype(np.int64), 0)
    installed = candidates.with_columns(u_model=u_model).select(
        "home_id", "area_id", pl.col("name").alias("area_name"), "device_type", "u_model", "area_row", "placement")
    installed = installed.gather(np.repeat(np.arange(installed.height), count))

    occupants = homes.select("home_id", "occupant_names").with_row_index("home_pos").explode("occupant_names")
    occupants = occupants.with_columns(slot=pl.int_range(pl.len()).over("home_id"))
    phones = occupants.select(
        "home_id", pl.lit(None, pl.String).alias("area_id"), pl.col("occupant_names").alias("occupant_name"),
        pl.lit(PHONE_TEMPLATE).alias("device_type"),
        pl.Series(phone_u[occupants["home_pos"].to_numpy(), occupants["slot"].to_numpy()]).alias("u_model"))

    models = _model_frame()
    devices = pl.concat([
        phones.with_columns(name=pl.col("occupant_name") + "'s Phone"),
        installed.select("home_id", "area_id", pl.lit(None, pl.String).alias("occupant_name"), "device_type",
                         "u_model", (pl.col("area_name") + " " + pl.col("device_type").replace_strict(
                             {k: t.label for k, t in TEMPLATES.items()})).alias("name")),
    ], how="diagonal").with_columns(order=pl.int_range(pl.len()).over("home_id"))
    devices = (devices.join(homes.select("home_id", "home_index"), on="home_id")
               .sort("home_index", pl.col("area_id").is_not_null(), "order"))
    devices = devices.join(models.select("device_type", "n_models").unique(), on="device_type", how="left",
                           maintain_order="left")
    devices = devices.with_columns(model_index=(pl.col("u_model") * pl.col("n_models")).floor().cast(pl.Int32))
    devices = devices.join(models.drop("n_models", "label"), on=["device_type", "model_index"], how="left",
                           maintain_order="left")
    return devices.with_columns(device_id=_device_ids(seed, devices)).select(
        [pl.col(f.name) for f in DEVICES_SCHEMA])


def _device_ids(seed: int, devices: pl.DataFrame) -> pl.Series:
    counts = devices.group_by("home_index", maintain_order=True).len()
    words = [rng_for(seed, FAMILY, "device_ids", int(i)).bit_generator.random_raw(2 * n)
             for i, n in counts.iter_rows()]
    return hex_ids(np.concatenate(words).reshape(-1, 2) if words else np.empty((0, 2), np.uint64))


def generate_entities(homes: pl.DataFrame, devices: pl.DataFrame) -> pl.DataFrame:
    """Entities of ``devices`` (in device order, after each home's ``person`` entities)."""
    persons = homes.select("home_id", "home_index", pl.col("occupant_names").alias("original_name")).explode(
        "original_name").with_columns(
        domain=pl.lit("person"), platform=pl.lit("person"), suggested=pl.col("original_name"), group=pl.lit(0))
    specs = entity_spec_frame()
    device_rows = (devices.with_row_index("device_row")
                   .join(homes.select("home_id", "home_index"), on="home_id", how="left")
                   .join(specs, on="device_type").sort("device_row", "entity_order"))
    owned = device_rows.select(
        "home_id", "home_index", "domain", "device_class", "unit_of_measurement", "state_class", "entity_category",
        pl.col("entity_name").alias("original_name"), "device_id", "area_id",
        pl.col("integration").alias("platform"),
        pl.when(pl.col("entity_name").is_null()).then(pl.col("name"))
        .otherwise(pl.col("name") + " " + pl.col("entity_name")).alias("suggested"), pl.lit(1).alias("group"))
    entities = pl.concat([persons, owned], how="diagonal").with_columns(
        order=pl.int_range(pl.len()).over("home_id", "group")).sort("home_index", "group", "order")
    preferred = entities["domain"] + "." + slug_column(entities["suggested"])
    entity_ids = unique_entity_ids(entities["home_id"], preferred)
    return entities.with_columns(entity_id=entity_ids).select([pl.col(f.name) for f in ENTITIES_SCHEMA])

