"""A homes frame for the context tests: real air-quality cities in zones east and west of Greenwich, with
and without DST, a half-hour offset and the southern hemisphere; routine columns as the homes table has."""

from __future__ import annotations

import polars as pl

from synth_assets.air_quality.cities import select_cities

CITY_NAMES = ("Berlin", "New York City", "Sydney", "Delhi", "Tokyo", "Los Angeles", "Riyadh", "Tehran",
              "São Paulo", "London")


def context_homes(names: tuple[str, ...] = CITY_NAMES, first_index: int = 1) -> pl.DataFrame:
    cities = select_cities("full")
    rows = pl.concat([cities.filter(pl.col("name") == name) for name in names])
    n = rows.height
    index = list(range(first_index, first_index + n))
    return pl.DataFrame({
        "home_id": [f"home_{i:05d}" for i in index],
        "home_index": index,
        "city_id": rows["city_id"],
        "country_code": rows["country_code"],
        "timezone": rows["timezone"],
        "latitude": rows["latitude"] + 0.05,     # near the city, not on its centre
        "longitude": rows["longitude"] - 0.05,
        "children": [i % 3 for i in index],
        "work_from_home_days": [i % 6 for i in index],
        "vacation_days_per_year": [7 + (i * 7) % 24 for i in index],
    })
