"""Loading and selecting the shipped city table; malformed rows and unknown names fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth_assets.air_quality import cities
from synth_assets.air_quality.cities import REFERENCE_CSV, ReferenceDataError, load_city_profiles, select_cities


def test_sample_mode_is_the_seeds_ten_cities_and_full_mode_all_300():
    sample = select_cities("sample")
    assert sorted(sample["name"]) == sorted(["New York City", "London", "Tokyo", "Delhi", "Shanghai", "Beijing",
                                             "Mexico City", "São Paulo", "Mumbai", "Cairo"])
    full = select_cities("full")
    assert full.height == 300
    assert full["city_id"].is_sorted() and full["city_id"].is_unique().all()
    assert set(sample["city_id"]) <= set(full["city_id"])


def test_unknown_mode_names_the_valid_modes():
    with pytest.raises(ValueError, match="unknown air-quality mode 'demo'; valid modes: sample, full"):
        select_cities("demo")


def _copy_with(tmp_path: Path, line_number: int, transform) -> Path:
    lines = REFERENCE_CSV.read_text(encoding="utf-8").splitlines()
    lines[line_number - 1] = transform(lines[line_number - 1])
    path = tmp_path / "cities.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("column, bad, message", [
    ("country_code", "usa", "country_code: String should match pattern"),
    ("timezone", "Mars/Olympus_Mons", "unknown IANA time zone 'Mars/Olympus_Mons'"),
    ("latitude", "123.4", "latitude: Input should be less than or equal to 90"),
    ("population", "-5", "population: Input should be greater than 0"),
])
def test_a_malformed_row_is_named_by_line_and_field(tmp_path, column, bad, message):
    header = REFERENCE_CSV.read_text(encoding="utf-8").splitlines()[0].split(",")
    index = header.index(column)

    def corrupt(line: str) -> str:
        fields = line.split(",")
        fields[index] = bad
        return ",".join(fields)

    path = _copy_with(tmp_path, 7, corrupt)
    with pytest.raises(ReferenceDataError, match=rf"line 7: .*{message}") as error:
        load_city_profiles(path)
    assert "build_city_reference.py" in str(error.value)


def test_a_wrong_header_is_refused(tmp_path):
    path = _copy_with(tmp_path, 1, lambda line: line.replace("base_pollution_level", "base"))
    with pytest.raises(ReferenceDataError, match="header"):
        load_city_profiles(path)


def test_unknown_city_names_get_suggestions():
    assert cities.cities_by_name(["Tokyo", "Cairo"]).height == 2
    with pytest.raises(ValueError, match=r"unknown city name\(s\) \['Tokio'\]; did you mean .*Tokyo"):
        cities.cities_by_name(["Tokio"])
