"""The homes and areas generators: determinism, stability when homes are added, shapes and ranges."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from pydantic import ValidationError

from synth_assets.air_quality.cities import select_cities
from synth_assets.smart_home.areas import area_catalogue, generate_areas
from synth_assets.smart_home.checks import evaluate
from synth_assets.smart_home.devices import generate_devices, generate_entities
from synth_assets.smart_home.homes import TYPE_BLOCK, block_quota, generate_homes, stratified_types
from synth_assets.smart_home.models import (
    HOME_RADIUS_KM,
    HOME_TYPES,
    SmartHomeConfig,
    UnknownHomeTypeError,
    check_home_types,
)

CITIES = select_cities("full")


def tables(seed: int, homes: int, **config) -> dict[str, pl.DataFrame]:
    home_rows = generate_homes(SmartHomeConfig(seed=seed, homes=homes, **config), CITIES)
    areas = generate_areas(seed, home_rows)
    devices = generate_devices(seed, home_rows, areas)
    return {"homes": home_rows, "areas": areas, "devices": devices, "entities": generate_entities(home_rows, devices)}


@pytest.fixture(scope="module")
def many_homes() -> pl.DataFrame:
    return generate_homes(SmartHomeConfig(seed=5, homes=4000), CITIES)


def test_same_config_same_rows_other_seed_other_rows():
    first, again, other = tables(11, 40), tables(11, 40), tables(12, 40)
    for table in first:
        assert first[table].equals(again[table]), table
        assert not first[table].equals(other[table]), table


def test_adding_homes_leaves_every_existing_homes_rows_unchanged():
    small, large = tables(3, 25), tables(3, 60)
    for table, rows in small.items():
        kept = large[table].filter(pl.col("home_id").is_in(small["homes"]["home_id"].implode()))
        assert rows.equals(kept), table
    assert large["homes"].height == 60


def test_home_ids_and_indices_are_one_based_and_ordered():
    homes = tables(1, 12)["homes"]
    assert homes["home_index"].to_list() == list(range(1, 13))
    assert homes["home_id"][0] == "home_00001" and homes["home_id"][11] == "home_00012"


def test_every_homes_check_passes_and_a_broken_row_fails_them(many_homes):
    results = {r.check_name: r.passed for r in evaluate("homes", many_homes, {"homes": many_homes})}
    assert all(results.values()), results
    broken = many_homes.with_columns(pl.when(pl.col("home_index") == 7).then(0).otherwise(pl.col("occupants"))
                                     .cast(pl.Int8).alias("occupants"),
                                     pl.when(pl.col("home_index") == 8).then(pl.lit("castle"))
                                     .otherwise(pl.col("home_type")).alias("home_type"))
    results = {r.check_name: r.passed for r in evaluate("homes", broken, {"homes": broken})}
    assert not results["homes_in_model_ranges"] and not results["home_type_known"]


def test_home_types_follow_their_shares_in_every_block_of_ten(many_homes):
    """Types are dealt in blocks of ten consecutive homes: each block holds exactly the shares (so a demo of
    20 homes has every type), while the order inside a block differs from block to block."""
    blocks = (many_homes.with_columns(block=(pl.col("home_index") - 1) // TYPE_BLOCK)
              .group_by("block", "home_type").len())
    for home_type, spec in HOME_TYPES.items():
        counts = blocks.filter(pl.col("home_type") == home_type)["len"]
        assert counts.len() == many_homes.height // TYPE_BLOCK and (counts == round(spec.share * TYPE_BLOCK)).all()
    block = (pl.col("home_index") - 1) // TYPE_BLOCK
    orders = many_homes.group_by(block).agg(pl.col("home_type").sort_by("home_index"))
    assert orders["home_type"].n_unique() > orders.height // 2


def test_block_quotas_of_a_subset_and_a_partial_last_block():
    assert block_quota(np.array([0.4, 0.2])).tolist() == [7, 3]      # 6.67 / 3.33: the larger remainder wins
    assert block_quota(np.array([0.3, 0.3, 0.3])).sum() == TYPE_BLOCK
    shares = np.array([s.share for s in HOME_TYPES.values()])
    whole = stratified_types(9, np.arange(1, 31), shares)
    assert (stratified_types(9, np.arange(1, 24), shares) == whole[:23]).all()   # a partial block: same types
    assert (stratified_types(9, np.array([30, 4, 17]), shares) == whole[[29, 3, 16]]).all()


def test_homes_lie_near_their_city_in_its_timezone_and_hemisphere(many_homes):
    joined = many_homes.join(CITIES.select("city_id", pl.col("latitude").alias("city_lat"),
                                           pl.col("longitude").alias("city_lon"), pl.col("timezone").alias("tz"),
                                           pl.col("name").alias("city")), on="city_id")
    lat1, lon1, lat2, lon2 = (np.radians(joined[c].to_numpy()) for c in ("latitude", "longitude", "city_lat",
                                                                          "city_lon"))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    distance_km = 2 * 6371.0 * np.arcsin(np.sqrt(a))
    assert distance_km.max() <= HOME_RADIUS_KM * 1.01 and distance_km.mean() > HOME_RADIUS_KM / 3
    assert (joined["timezone"] == joined["tz"]).all() and (joined["city_name"] == joined["city"]).all()
    assert ((joined["latitude"] >= 0) == (joined["hemisphere"] == "north")).all()
    assert set(joined["hemisphere"]) == {"north", "south"}


def test_cities_are_drawn_by_population(many_homes):
    counts = many_homes.group_by("city_id").len().join(CITIES.select("city_id", "population"), on="city_id")
    assert np.corrcoef(counts["len"].to_numpy(), counts["population"].to_numpy())[0, 1] > 0.8


def test_households_and_routines_are_consistent(many_homes):
    names = many_homes["occupant_names"]
    assert (names.list.len() == many_homes["occupants"].cast(pl.UInt32)).all()
    assert (names.list.n_unique() == names.list.len()).all()
    assert ((many_homes["adults"] + many_homes["children"]) == many_homes["occupants"]).all()
    assert (many_homes.filter(pl.col("occupants") <= 2)["children"] == 0).all()
    assert many_homes["children"].max() > 0 and many_homes["shift_workers"].max() > 0
    assert (many_homes["shift_workers"] <= many_homes["adults"]).all()
    assert (many_homes["leave_minute"] >= many_homes["wake_minute"] + 20).all()
    assert (many_homes["return_minute"] > many_homes["leave_minute"]).all()
    by_type = many_homes.group_by("home_type").agg(pl.col("occupants").mean()).sort("occupants")
    assert by_type["home_type"][0] == "apartment"


def test_a_subset_of_home_types_is_respected_and_unknown_types_or_counts_are_refused():
    homes = tables(2, 30, home_types=("townhouse", "apartment"))["homes"]
    assert set(homes["home_type"]) == {"apartment", "townhouse"}
    with pytest.raises(ValidationError, match="castle.*valid types are apartment"):
        SmartHomeConfig(seed=1, homes=3, home_types=("castle",))
    with pytest.raises(UnknownHomeTypeError, match="at most once"):
        check_home_types(("apartment", "apartment"))
    for homes_count in (0, -1):
        with pytest.raises(ValidationError, match="greater than or equal to 1"):
            SmartHomeConfig(seed=1, homes=homes_count)


def test_areas_are_the_types_rooms_with_slug_ids_and_enough_bedrooms():
    generated = tables(9, 300)
    homes, areas = generated["homes"], generated["areas"]
    catalogue = area_catalogue()
    joined = areas.join(homes.select("home_id", "home_type", "children"), on="home_id").join(
        catalogue.select("home_type", "name", pl.col("area_id").alias("expected_id")), on=["home_type", "name"],
        how="left")
    assert joined["expected_id"].null_count() == 0 and (joined["area_id"] == joined["expected_id"]).all()
    offered = catalogue.filter(pl.col("area_kind") == "bedroom").group_by("home_type").agg(offered=pl.len())
    bedrooms = (joined.filter(pl.col("area_kind") == "bedroom").group_by("home_id", "home_type", "children").len()
                .join(offered, on="home_type"))
    needed = pl.min_horizontal(pl.col("children").cast(pl.UInt32) + 1, pl.col("offered"))
    assert bedrooms.select((pl.col("len") >= needed).all()).item()
    assert bedrooms.select((pl.col("len") > needed).any()).item()  # optional bedrooms beyond the need exist
    results = {r.check_name: r.passed for r in evaluate("areas", areas, {"homes": homes})}
    assert all(results.values()), results
    per_home = areas.join(homes.select("home_id", "home_type"), on="home_id").group_by("home_id", "home_type").len()
    medians = per_home.group_by("home_type").agg(pl.col("len").median()).sort("len")["home_type"].to_list()
    assert medians == ["apartment", "townhouse", "single_family", "large_smart_home"]


def test_the_household_size_mix_is_the_published_one(many_homes):
    """US households: 1 person ~28 %, 2 persons ~34.6 %, mean ~2.5 (models.HOUSEHOLD_SIZE_SOURCE)."""
    shares = dict(many_homes["occupants"].value_counts(normalize=True).iter_rows())
    assert abs(shares[1] - 0.28) < 0.03 and abs(shares[2] - 0.345) < 0.03
    assert 2.35 <= many_homes["occupants"].mean() <= 2.6
