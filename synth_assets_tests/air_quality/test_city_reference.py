"""The shipped 300-city reference table: reproducible from its build script, and sound."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_city_reference.py"
DATA_DIR = ROOT / "scripts" / "reference_data"
SHIPPED = ROOT / "synth_assets" / "air_quality" / "reference" / "cities.csv"
HEADER = ("city_id,name,country_name,country_code,continent,latitude,longitude,timezone,"
          "population,coastal,industrial,altitude_m,altitude_source,climate_source,climate_fallback,"
          "temperature_normals_c,humidity_normals_pct,rain_day_share,pm25_published,pm25_year,pm25_source,"
          "base_pollution_level,in_sample")
REFERENCE = ROOT / "synth_assets" / "air_quality" / "reference"
# GeoNames geonameids of the seed's ten sample cities
SEED_IDS = {
    5128581: "New York City", 2643743: "London", 1850147: "Tokyo", 1273294: "Delhi",
    1796236: "Shanghai", 1816670: "Beijing", 3530597: "Mexico City",
    3448439: "São Paulo", 1275339: "Mumbai", 360630: "Cairo",
}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with open(SHIPPED, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def by_id(rows) -> dict[int, dict[str, str]]:
    return {int(r["city_id"]): r for r in rows}


@pytest.fixture(scope="module")
def builder():
    spec = importlib.util.spec_from_file_location("build_city_reference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# (a) reproducibility ------------------------------------------------------------------------

def test_rebuild_gives_identical_bytes(tmp_path):
    out = tmp_path / "cities.csv"
    result = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == SHIPPED.read_bytes(), (
        "the shipped cities.csv differs from a rebuild: run "
        "`python scripts/build_city_reference.py` and commit the result")


def test_file_format():
    raw = SHIPPED.read_bytes()
    text = raw.decode("utf-8")
    assert b"\r" not in raw
    assert text.endswith("\n")
    assert text.splitlines()[0] == HEADER


# (b) coverage ---------------------------------------------------------------------------------

def test_row_count_and_uniqueness(rows):
    assert len(rows) == 300
    ids = [int(r["city_id"]) for r in rows]
    assert len(set(ids)) == 300
    assert ids == sorted(ids)
    assert len({(r["name"], r["country_code"]) for r in rows}) == 300


def test_geographic_coverage(rows):
    assert len({r["country_code"] for r in rows}) >= 60
    assert {r["continent"] for r in rows} == {"AF", "AS", "EU", "NA", "OC", "SA"}
    latitudes = [float(r["latitude"]) for r in rows]
    assert any(lat < 0 for lat in latitudes) and any(lat > 0 for lat in latitudes)


def test_both_values_of_each_flag(rows):
    for column in ("coastal", "industrial", "in_sample"):
        assert {r[column] for r in rows} == {"true", "false"}, column


def test_field_formats(rows):
    for r in rows:
        assert len(r["country_code"]) == 2 and r["country_code"].isupper()
        assert len(r["latitude"].split(".")[1]) == 4 and len(r["longitude"].split(".")[1]) == 4
        assert len(r["base_pollution_level"].split(".")[1]) == 2
        for column in ("temperature_normals_c", "humidity_normals_pct", "rain_day_share"):
            assert len(r[column].split(" ")) == 12, (r["name"], column)
        assert int(r["population"]) > 0


# (c) the seed's sample cities ---------------------------------------------------------------

def test_exactly_the_seed_cities_are_in_sample(rows, by_id):
    in_sample = {int(r["city_id"]) for r in rows if r["in_sample"] == "true"}
    assert in_sample == set(SEED_IDS)
    for city_id, name in SEED_IDS.items():
        assert by_id[city_id]["name"] == name


# (d) spot checks of real facts ---------------------------------------------------------------

def test_real_world_spot_checks(by_id):
    tokyo, mumbai, delhi = by_id[1850147], by_id[1275339], by_id[1273294]
    mexico_city, sao_paulo = by_id[3530597], by_id[3448439]
    assert tokyo["coastal"] == "true" and mumbai["coastal"] == "true"
    assert delhi["coastal"] == "false" and mexico_city["coastal"] == "false"
    assert tokyo["timezone"] == "Asia/Tokyo" and tokyo["country_code"] == "JP"
    assert float(sao_paulo["latitude"]) < 0 and sao_paulo["continent"] == "SA"
    assert by_id[2643743]["country_code"] == "GB" and by_id[360630]["continent"] == "AF"


def test_rules_hold_for_every_row(rows, builder):
    pm25 = builder.load_country_values(DATA_DIR / "national_pm25.csv", "pm25_ugm3")
    industry = builder.load_country_values(DATA_DIR / "industry_share_gdp.csv", "industry_pct_gdp")
    city_figures = {int(r["city_id"]): r for r in builder.read_comment_csv(REFERENCE / "city_pm25.csv")}
    for r in rows:
        population, code = int(r["population"]), r["country_code"]
        factor = 1.3 if population >= 5_000_000 else 1.15 if population >= 1_000_000 else 1.0
        city = city_figures.get(int(r["city_id"]))
        if city:
            assert (r["pm25_published"], r["pm25_year"], r["pm25_source"]) == (
                city["pm25_ugm3"], city["year"], city["source"]), r["name"]
        else:
            assert r["pm25_published"] == f"{pm25[code] * factor:.1f}", r["name"]
            assert r["pm25_source"].startswith("national:") and r["pm25_year"] == "2017", r["name"]
        industrial = population >= 1_000_000 and industry[code] >= 30.0
        assert r["industrial"] == str(industrial).lower(), r["name"]


def _months(row: dict[str, str], column: str) -> list[float]:
    return [float(v) for v in row[column].split(" ")]


def test_cities_with_normals_carry_them_and_the_rest_are_flagged(rows, builder):
    normals = builder.load_normals(REFERENCE / "climate_normals.csv")
    complete = {city_id for city_id, q in normals.items() if all(k in q for k in builder.NORMALS_QUANTITIES)}
    assert set(SEED_IDS) <= complete                        # every sample city has all three published
    with_temperature = {city_id for city_id, q in normals.items() if "temperature_c" in q}
    for r in rows:
        city_id = int(r["city_id"])
        fallback = r["climate_fallback"] == "true"
        assert fallback == (city_id not in with_temperature), r["name"]
        assert (r["climate_source"] == builder.FALLBACK_CLIMATE_SOURCE) == fallback, r["name"]
        if not fallback:
            published = normals[city_id]
            assert _months(r, "temperature_normals_c") == published["temperature_c"], r["name"]
            if "humidity_pct" in published:
                assert _months(r, "humidity_normals_pct") == published["humidity_pct"], r["name"]
            if "rain_days" in published:
                days = [s * d for s, d in zip(_months(r, "rain_day_share"), builder.DAYS_IN_MONTH)]
                assert days == pytest.approx(published["rain_days"], abs=0.02), r["name"]
            for quantity in builder.NORMALS_QUANTITIES:    # a quantity not published is named as an estimate
                named = f"{quantity}" in r["climate_source"] and "(estimate)" in r["climate_source"]
                assert named == (quantity not in published), (r["name"], quantity)
            if published["altitude_m"] is not None:
                assert float(r["altitude_m"]) == published["altitude_m"], r["name"]
            else:
                assert r["altitude_source"].startswith(("estimate", "unknown")), r["name"]


def test_every_normals_row_names_its_source_period_and_status(builder):
    rows = builder.read_comment_csv(REFERENCE / "climate_normals.csv")
    assert rows
    for row in rows:
        assert row["source"] and row["period"] and row["station"], row
        assert row["source_url"].startswith(("http://", "https://")), row
        assert row["status"] in {"read", "partly read", "estimate"}, row
        assert row["status"] == "read" or row["note"], row   # anything not read says what is estimated


def test_altitude_lowers_fallback_temperatures(by_id, builder):
    bogota, lagos = by_id[3688689], by_id[2332459]           # both tropical; Bogotá at 2,640 m
    assert bogota["climate_fallback"] == "true" and float(bogota["altitude_m"]) > 2000
    assert sum(_months(bogota, "temperature_normals_c")) / 12 < sum(_months(lagos, "temperature_normals_c")) / 12 - 10
    mexico_city = by_id[3530597]                             # normals, so altitude comes from its source
    assert mexico_city["climate_fallback"] == "false" and float(mexico_city["altitude_m"]) > 2000


def test_missing_country_figure_is_a_clear_error(builder, tmp_path):
    data = tmp_path / "national_pm25.csv"
    data.write_text("# comment line\ncountry_code,pm25_ugm3\nIN,90.9\n", encoding="utf-8")
    values = builder.load_country_values(data, "pm25_ugm3")
    assert values == {"IN": 90.9}
    with pytest.raises(SystemExit, match="ZZ"):
        builder.require(values, "ZZ", data)
