"""The shipped 300-city reference table, validated row by row, and the city selection per mode.

The table is built from GeoNames and published national data by ``scripts/build_city_reference.py``;
see ``docs/air_quality_cities.md`` for the rules.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import polars as pl
import pyarrow as pa
from pydantic import ValidationError

from synth_assets.air_quality.models import CITY_SCHEMA, MODE_CITY_COUNTS, CityProfile
from synth_assets.core.modes import check_air_quality_mode

REFERENCE_CSV = Path(__file__).parent / "reference" / "cities.csv"
REBUILD_HINT = "fix the row, or rebuild the table with `python scripts/build_city_reference.py`"


class ReferenceDataError(ValueError):
    """The city reference table is malformed."""


def load_city_profiles(path: Path = REFERENCE_CSV) -> list[CityProfile]:
    """Every row of the reference table as a validated :class:`CityProfile`."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != CITY_SCHEMA.names:
            raise ReferenceDataError(
                f"{path}: header {reader.fieldnames} does not match {CITY_SCHEMA.names}; {REBUILD_HINT}"
            )
        profiles = []
        for line_number, row in enumerate(reader, start=2):
            try:
                profiles.append(CityProfile.model_validate(row))
            except ValidationError as exc:
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                raise ReferenceDataError(f"{path} line {line_number}: {problems}; {REBUILD_HINT}") from None
    ids = [p.city_id for p in profiles]
    if len(set(ids)) != len(ids):
        raise ReferenceDataError(f"{path}: duplicate city_id values; {REBUILD_HINT}")
    return profiles


@lru_cache(maxsize=4)
def _reference_frame(path: Path) -> pl.DataFrame:
    rows = [p.model_dump() for p in load_city_profiles(path)]
    table = pa.Table.from_pylist(rows, schema=CITY_SCHEMA)
    return pl.from_arrow(table).sort("city_id")


def select_cities(mode: str, path: Path = REFERENCE_CSV) -> pl.DataFrame:
    """The cities of ``mode``: the seed's 10 in ``sample``, all 300 in ``full``; sorted by city_id."""
    check_air_quality_mode(mode)
    frame = _reference_frame(path)
    selected = frame.filter(pl.col("in_sample")) if mode == "sample" else frame
    expected = MODE_CITY_COUNTS[mode]
    if selected.height != expected:
        raise ReferenceDataError(f"{path}: mode {mode!r} needs {expected} cities, found {selected.height}")
    return selected


def cities_by_name(names: list[str], mode: str = "full") -> pl.DataFrame:
    """Look cities up by name; an unknown name raises an error that lists close valid names."""
    frame = select_cities(mode)
    known = set(frame["name"].to_list())
    unknown = [n for n in names if n not in known]
    if unknown:
        import difflib

        hints = {n: difflib.get_close_matches(n, sorted(known), n=3) for n in unknown}
        raise ValueError(f"unknown city name(s) {unknown}; did you mean {hints}? "
                         f"(valid names are the {len(known)} cities of mode {mode!r})")
    return frame.filter(pl.col("name").is_in(names))
