"""Devices and entities as Home Assistant makes them: slugs, entity ids, the _2 rule, sizes, checks."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest

from synth_assets.air_quality.cities import select_cities
from synth_assets.smart_home.areas import generate_areas
from synth_assets.smart_home.catalogue import DEVICE_CLASSES, PLACEMENTS, TEMPLATES
from synth_assets.smart_home.checks import evaluate
from synth_assets.smart_home.devices import generate_devices, generate_entities, hex_ids
from synth_assets.smart_home.homes import generate_homes
from synth_assets.smart_home.models import HOME_TYPES, SmartHomeConfig
from synth_assets.smart_home.slugs import (
    HA_VALID_ENTITY_ID,
    MAX_LENGTH_STATE_ENTITY_ID,
    VALID_ENTITY_ID,
    generate_entity_id,
    slugify,
    unique_entity_ids,
)


@pytest.fixture(scope="module")
def generated() -> dict[str, pl.DataFrame]:
    homes = generate_homes(SmartHomeConfig(seed=21, homes=600), select_cities("full"))
    areas = generate_areas(21, homes)
    devices = generate_devices(21, homes, areas)
    return {"homes": homes, "areas": areas, "devices": devices, "entities": generate_entities(homes, devices)}


# Expected slugs worked out by hand from python-slugify's legacy steps and homeassistant.util.slugify.
@pytest.mark.parametrize(("text", "slug"), [
    ("Living Room", "living_room"),
    ("Kitchen Ceiling Light", "kitchen_ceiling_light"),
    ("Anna's Phone", "anna_s_phone"),          # an apostrophe becomes "-" before transliteration
    ("Bedroom 2", "bedroom_2"),
    ("1,000 Lights", "1000_lights"),           # a comma between digits is dropped
    ("R&amp;D Lab", "r_d_lab"),                # HTML entities are decoded, then "&" is disallowed
    ("Caf&eacute;", "cafe"),
    ("Küche", "kuche"),                        # NFKD, the combining mark dropped
    ("  Hall -- way__ ", "hall_way"),          # runs of disallowed characters and dashes collapse
    ("CO2", "co2"),
    ("!!!", "unknown"),                        # Home Assistant's answer for an empty slug
    ("", ""),
])
def test_slugify_matches_home_assistant(text, slug):
    assert slugify(text) == slug


def test_slugify_refuses_text_it_cannot_slug_exactly():
    with pytest.raises(ValueError, match="only ASCII"):
        slugify("東京 Room")


def test_entity_id_pattern_is_home_assistants_valid_entity_id():
    rng = np.random.default_rng(0)
    alphabet = np.array(list("ab1_."))
    samples = ["".join(rng.choice(alphabet, size=rng.integers(1, 9))) for _ in range(4000)]
    samples += ["light.kitchen", "light.a__b", "li__ght.a", "light._a", "light.a_", "light.2", "x.y.z", "Light.a"]
    ours = pl.Series(samples).str.contains(VALID_ENTITY_ID).to_list()
    theirs = [re.match(HA_VALID_ENTITY_ID, s) is not None for s in samples]
    assert ours == theirs
    assert sum(theirs) > 50


def _sequential(homes: list[str], preferred: list[str]) -> list[str]:
    taken: dict[str, set[str]] = {}
    return [generate_entity_id(p.split(".", 1)[1], p.split(".", 1)[0], taken.setdefault(h, set()))
            for h, p in zip(homes, preferred, strict=True)]


def test_unique_entity_ids_register_like_home_assistant_in_order():
    homes = ["h1"] * 6 + ["h2"] * 3
    preferred = ["light.a", "light.a", "light.a_2", "light.b", "light.a", "light.a_3", "light.a", "light.a", "light.c"]
    result = unique_entity_ids(pl.Series(homes), pl.Series(preferred)).to_list()
    assert result == ["light.a", "light.a_2", "light.a_2_2", "light.b", "light.a_3", "light.a_3_2",
                      "light.a", "light.a_2", "light.c"]
    assert result == _sequential(homes, preferred)
    rng = np.random.default_rng(1)
    pool = ["light.x", "light.x_2", "light.x_3", "light.y", "sensor.x", "light.x_2_2"]
    for _ in range(50):
        picks = list(rng.choice(pool, size=12))
        owners = list(rng.choice(["h1", "h2"], size=12))
        assert unique_entity_ids(pl.Series(owners), pl.Series(picks)).to_list() == _sequential(owners, picks)


def test_entity_ids_are_cut_to_home_assistants_maximum_length():
    long_id = "sensor." + "a" * 300
    ids = unique_entity_ids(pl.Series(["h"] * 3), pl.Series([long_id] * 3)).to_list()
    assert [len(i) for i in ids] == [MAX_LENGTH_STATE_ENTITY_ID] * 3
    assert ids[1].endswith("a_2") and ids[2].endswith("a_3") and len(set(ids)) == 3


def test_hex_ids_are_32_lowercase_hex_digits_of_the_words():
    words = np.array([[0x0123456789ABCDEF, 0xFEDCBA9876543210]], dtype=np.uint64)
    assert hex_ids(words).to_list() == ["efcdab8967452301" + "1032547698badcfe"]


def test_every_check_passes_on_generated_tables(generated):
    parents = {"homes": generated["homes"], "areas": generated["areas"], "devices": generated["devices"]}
    for table in ("devices", "entities"):
        results = {r.check_name: r.passed for r in evaluate(table, generated[table], parents)}
        assert results and all(results.values()), (table, results)


def test_checks_catch_orphans_bad_ids_and_wrong_units(generated):
    entities = generated["entities"]
    broken = entities.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("0" * 32)).otherwise(pl.col("device_id")).alias("device_id"),
        pl.when(pl.int_range(pl.len()) == 4).then(pl.lit("light.Bad__id")).otherwise(pl.col("entity_id"))
        .alias("entity_id"),
        pl.when(pl.col("device_class") == "temperature").then(pl.lit("°F")).otherwise(pl.col("unit_of_measurement"))
        .alias("unit_of_measurement"),
        pl.when(pl.int_range(pl.len()) == 5).then(pl.lit("nowhere")).otherwise(pl.col("area_id")).alias("area_id"))
    parents = {"homes": generated["homes"], "areas": generated["areas"], "devices": generated["devices"]}
    results = {r.check_name: r.passed for r in evaluate("entities", broken, parents)}
    failed = {name for name, passed in results.items() if not passed}
    assert {"entity_device_exists", "entity_id_valid", "unit_matches_device_class", "entity_area_exists"} <= failed
    fewer = entities.filter(~((pl.col("home_id") == "home_00001") & (pl.col("domain") != "person")))
    results = {r.check_name: r.passed for r in evaluate("entities", fewer, parents)}
    assert not results["entities_per_home_in_range"]


def test_sizes_follow_real_installs_by_home_type(generated):
    per_home = (generated["entities"].group_by("home_id").len()
                .join(generated["homes"].select("home_id", "home_type"), on="home_id"))
    medians = dict(per_home.group_by("home_type").agg(pl.col("len").median()).iter_rows())
    assert 15 <= medians["apartment"] <= 40
    assert medians["apartment"] < medians["townhouse"] < medians["single_family"] < medians["large_smart_home"]
    assert medians["large_smart_home"] >= 200
    for home_type, spec in HOME_TYPES.items():
        counts = per_home.filter(pl.col("home_type") == home_type)["len"]
        assert spec.entities[0] <= counts.min() and counts.max() <= spec.entities[1], home_type


def test_every_occupant_is_a_person_with_a_tracked_phone(generated):
    homes, entities = generated["homes"], generated["entities"]
    people = entities.filter(pl.col("domain") == "person").group_by("home_id").len()
    trackers = entities.filter(pl.col("domain") == "device_tracker").group_by("home_id").len()
    expected = homes.select("home_id", pl.col("occupants").cast(pl.UInt32).alias("len")).sort("home_id")
    assert people.sort("home_id").equals(expected) and trackers.sort("home_id").equals(expected)
    assert entities.filter(pl.col("domain") == "person")["device_id"].null_count() == people["len"].sum()


def test_devices_sit_only_in_the_rooms_their_placement_allows(generated):
    allowed = {(kind, p.template) for p in PLACEMENTS for kind in p.kinds}
    placed = (generated["devices"].filter(pl.col("area_id").is_not_null())
              .join(generated["areas"].select("home_id", "area_id", "area_kind"), on=["home_id", "area_id"]))
    assert set(placed.select("area_kind", "device_type").unique().iter_rows()) <= allowed
    models = {(m, model) for t in TEMPLATES.values() for m, model in t.models}
    assert set(generated["devices"].select("manufacturer", "model").unique().iter_rows()) <= models
    assert generated["devices"]["model"].null_count() == 0


def test_entity_ids_come_from_device_and_entity_names_with_the_repeat_rule(generated):
    entities, devices = generated["entities"], generated["devices"]
    lights = entities.filter(pl.col("domain") == "light").join(devices.select("device_id", "name"), on="device_id")
    base = "light." + lights["name"].map_elements(slugify, return_dtype=pl.String)
    assert ((lights["entity_id"] == base) | lights["entity_id"].str.starts_with(base + "_")).all()
    repeated = lights.filter(pl.col("name").is_duplicated().over("home_id"))
    assert repeated.height > 0 and repeated["entity_id"].str.ends_with("_2").any()
    units = entities.filter(pl.col("device_class") == "energy")
    assert set(units["unit_of_measurement"]) == {DEVICE_CLASSES["sensor.energy"].unit}
    assert set(units["state_class"]) == {"total_increasing"}
    battery = entities.filter(pl.col("device_class") == "battery")
    assert set(battery["entity_category"].drop_nulls()) == {"diagnostic"}


def test_the_catalogue_uses_only_home_assistants_device_classes_and_refuses_others():
    from synth_assets.smart_home.catalogue import (
        HA_DEVICE_CLASSES,
        DeviceClassSpec,
        DeviceTemplate,
        EntitySpec,
        UnknownDeviceClassError,
        check_catalogue,
    )

    for spec in DEVICE_CLASSES.values():
        assert spec.device_class is None or spec.device_class in HA_DEVICE_CLASSES[spec.domain]
    check_catalogue()
    bad_class = {**DEVICE_CLASSES, "sensor.mood": DeviceClassSpec("sensor", "mood", None, None, None, None, "x")}
    with pytest.raises(UnknownDeviceClassError, match="no sensor device class 'mood'"):
        check_catalogue(device_classes=bad_class)
    bad_template = {**TEMPLATES, "orb": DeviceTemplate("Orb", "x", (("A", "B"),), (EntitySpec("sensor.aura", None),),
                                                       "x")}
    with pytest.raises(UnknownDeviceClassError, match="template 'orb': unknown device class 'sensor.aura'"):
        check_catalogue(templates=bad_template)
