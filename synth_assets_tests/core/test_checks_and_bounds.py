"""synth_assets.core.checks (violation counts, check results) and synth_assets.core.bounds."""

from __future__ import annotations

import ast
import inspect
from collections import Counter

import dagster as dg
import polars as pl
import pytest
from pydantic import BaseModel, Field, ValidationError

from synth_assets.air_quality import models as aq_models
from synth_assets.air_quality.models import AirQualityMeasurement
from synth_assets.core import checks
from synth_assets.core.bounds import field_bounds, field_ranges, required_fields

NAN = float("nan")


def _meta(result: dg.AssetCheckResult) -> dict:
    return {k: getattr(v, "value", getattr(v, "text", v)) for k, v in result.metadata.items()}


# ------------------------------------------------------------------------------------------------
# count_* functions
# ------------------------------------------------------------------------------------------------
def test_count_out_of_range_counts_each_column_and_keeps_bounds_inclusive():
    frame = pl.DataFrame({
        "both": [0.0, 5.0, 10.0, -0.1, 10.1, 99.0],   # 3 outside [0, 10]; the bounds themselves are in
        "low_only": [-1, -2, 0, 1, 2, 3],              # 2 below 0
        "high_only": [1, 2, 3, 4, 5, 6],               # 2 above 4
        "clean": [1, 1, 1, 1, 1, 1],
    })
    counts = checks.count_out_of_range(frame, {
        "both": (0, 10), "low_only": (0, None), "high_only": (None, 4), "clean": (0, 1),
    })
    assert counts == Counter({"both": 3, "low_only": 2, "high_only": 2})
    assert "clean" not in counts


def test_count_out_of_range_without_violations_is_empty_and_sums_over_chunks():
    frame = pl.DataFrame({"x": [1.0, 2.0, 3.0]})
    assert checks.count_out_of_range(frame, {"x": (1, 3)}) == Counter()
    total = Counter()
    for chunk in (pl.DataFrame({"x": [-1.0, 0.5]}), pl.DataFrame({"x": [2.0, 7.0]})):
        total.update(checks.count_out_of_range(chunk, {"x": (0, 5)}))
    assert total == Counter({"x": 2})


def test_count_nulls_counts_nulls_and_nans():
    frame = pl.DataFrame({
        "f": [1.0, None, NAN, 2.0, NAN],     # 1 null + 2 NaN
        "i": [1, None, 3, None, None],       # 3 nulls
        "s": ["a", "b", None, "d", "e"],     # 1 null
        "b": [True, False, True, True, None],
        "clean_f": [1.0, 2.0, 3.0, 4.0, 5.0],
        "ignored": [None, None, None, None, None],
    }, schema_overrides={"ignored": pl.Float64})
    counts = checks.count_nulls(frame, ["f", "i", "s", "b", "clean_f"])
    assert counts == Counter({"f": 3, "i": 3, "s": 1, "b": 1})
    assert checks.count_nulls(frame, ("clean_f",)) == Counter()


def test_count_nulls_counts_nan_in_float32():
    frame = pl.DataFrame({"x": [NAN, 1.0, NAN]}, schema={"x": pl.Float32})
    assert checks.count_nulls(frame, ["x"]) == Counter({"x": 2})


def test_count_nulls_accepts_any_iterable_of_columns():
    frame = pl.DataFrame({"x": [NAN, None, 1.0]})
    assert checks.count_nulls(frame, (c for c in ["x"])) == Counter({"x": 2})


def test_count_duplicates_on_keys():
    frame = pl.DataFrame({
        "city_id": [1, 1, 1, 2, 2, 3],
        "hour": [0, 0, 0, 0, 1, 0],
        "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],   # values differ: only the keys matter
    })
    assert checks.count_duplicates(frame, ["city_id", "hour"]) == 2   # (1, 0) appears 3 times
    assert checks.count_duplicates(frame, ["city_id"]) == 3           # 6 rows, 3 distinct ids
    assert checks.count_duplicates(frame, ["value"]) == 0


def test_count_orphans():
    frame = pl.DataFrame({"city_id": [1, 2, 3, 4, 4, 1]})
    assert checks.count_orphans(frame, "city_id", pl.Series([1, 2])) == 3
    assert checks.count_orphans(frame, "city_id", pl.Series([1, 2, 3, 4, 5])) == 0
    assert checks.count_orphans(frame, "city_id", pl.Series([], dtype=pl.Int64)) == 6


def test_count_wrong_group_sizes():
    frame = pl.DataFrame({
        "city_id": [1] * 24 + [2] * 23 + [3] * 25 + [4] * 24,
        "day": ["d1"] * 96,
    })
    assert checks.count_wrong_group_sizes(frame, ["city_id", "day"], 24) == 2
    assert checks.count_wrong_group_sizes(frame.filter(pl.col("city_id").is_in([1, 4])), ["city_id"], 24) == 0


# ------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------
def test_violations_result_passes_on_zero_counts():
    result = checks.violations_result("no_nulls", Counter(), rule="no nulls", rows_checked=10)
    assert result.passed is True
    assert result.check_name == "no_nulls"
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert result.description == "no nulls"
    assert _meta(result) == {"violations": 0, "rows_checked": 10}


def test_violations_result_fails_and_explains():
    result = checks.violations_result("ranges", {"pm25": 3, "o3": 2, "co": 0}, rule="values in range",
                                      rows_checked=100)
    assert result.passed is False
    assert "5 violation" in result.description and "values in range" in result.description
    meta = _meta(result)
    assert meta["violations"] == 5
    assert meta["violations/pm25"] == 3 and meta["violations/o3"] == 2 and meta["violations/co"] == 0
    assert meta["rows_checked"] == 100


def test_violations_result_non_blocking_severity_is_warn():
    result = checks.violations_result("x", {"a": 1}, rule="r", blocking_severity=False)
    assert result.passed is False
    assert result.severity == dg.AssetCheckSeverity.WARN


@pytest.mark.parametrize("observed, passed", [
    (1.40, True), (1.41, True), (1.39, True), (1.4 * 1.029, True), (1.4 * 0.971, True),
    (1.4 * 1.031, False), (1.4 * 0.969, False), (2.8, False), (0.0, False),
])
def test_ratio_result_tolerance(observed, passed):
    result = checks.ratio_result("distribution_rush_hour", observed=observed, expected=1.4, tolerance=0.03,
                                 what="rush hour", year=2021)
    assert result.passed is passed
    meta = _meta(result)
    assert meta["observed"] == pytest.approx(observed)
    assert meta["expected"] == 1.4
    assert meta["tolerance"] == 0.03
    assert meta["relative_deviation"] == pytest.approx(observed / 1.4 - 1)
    assert meta["year"] == 2021
    assert "rush hour" in result.description


def test_ratio_result_none_passes_with_a_warning():
    result = checks.ratio_result("distribution_coastal", observed=None, expected=0.75, tolerance=0.03,
                                 what="coastal")
    assert result.passed is True
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert "not measurable" in result.description
    assert _meta(result)["expected"] == 0.75


# ------------------------------------------------------------------------------------------------
# bounds
# ------------------------------------------------------------------------------------------------
class Sample(BaseModel):
    closed: float = Field(ge=0, le=10)
    strict: int = Field(gt=1, lt=5)
    low_only: float = Field(ge=-3.5)
    high_only: int = Field(le=7)
    unconstrained: float
    text: str = Field(min_length=2, max_length=5)
    maybe: float | None = Field(default=None, ge=0, le=1)
    old_style_optional: int | None = None
    with_default: str = "x"


def test_field_bounds_on_a_small_model():
    assert field_bounds(Sample) == {
        "closed": (0, 10), "strict": (1, 5), "low_only": (-3.5, None), "high_only": (None, 7),
        "maybe": (0, 1),
    }


def test_field_bounds_feed_count_out_of_range():
    frame = pl.DataFrame({"closed": [-1.0, 0.0, 10.0, 11.0], "low_only": [-4.0, -3.5, 0.0, 1.0],
                          "high_only": [7, 8, 9, 0]})
    bounds = {k: v for k, v in field_bounds(Sample).items() if k in frame.columns}
    assert checks.count_out_of_range(frame, bounds) == Counter({"closed": 2, "low_only": 1, "high_only": 2})


def test_value_on_a_strict_bound_is_out_of_range():
    frame = pl.DataFrame({"strict": [1, 5]})   # Field(gt=1, lt=5) rejects both
    bounds = {"strict": field_ranges(Sample)["strict"]}
    assert checks.count_out_of_range(frame, bounds) == Counter({"strict": 2})


def test_required_fields_on_a_small_model():
    required = required_fields(Sample)
    for name in ("closed", "strict", "low_only", "high_only", "unconstrained", "text", "with_default"):
        assert name in required
    assert "maybe" not in required


def test_required_fields_treats_optional_as_nullable():
    assert "old_style_optional" not in required_fields(Sample)


def _declared_field_kwargs(model: type[BaseModel]) -> dict[str, dict[str, object]]:
    """Field(...) keyword constants of each annotated field, read from the model's source code."""
    tree = ast.parse(inspect.getsource(inspect.getmodule(model)))
    cls = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == model.__name__)
    declared = {}
    for node in cls.body:
        if not isinstance(node, ast.AnnAssign):
            continue
        kwargs = {}
        if isinstance(node.value, ast.Call) and getattr(node.value.func, "id", None) == "Field":
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.value.keywords
                      if kw.arg in ("ge", "gt", "le", "lt")}
        declared[node.target.id] = {"kwargs": kwargs, "annotation": ast.unparse(node.annotation)}
    return declared


def test_field_bounds_match_the_declarations_of_air_quality_measurement():
    declared = _declared_field_kwargs(AirQualityMeasurement)
    expected = {}
    for name, info in declared.items():
        kw = info["kwargs"]
        low, high = kw.get("ge", kw.get("gt")), kw.get("le", kw.get("lt"))
        if low is not None or high is not None:
            expected[name] = (low, high)
    assert field_bounds(AirQualityMeasurement) == expected
    # a few read straight off the model, as a guard on the parser above
    assert expected["pm25"] == (0, 1000)
    assert expected["pm10"] == (0, 1500)
    assert expected["co"] == (0, 100)
    assert expected["temperature_c"] == (-50, 60)
    assert expected["humidity_pct"] == (0, 100)
    assert expected["latitude"] == (-90, 90)
    assert set(expected) >= {"pm25", "pm10", "no2", "so2", "co", "o3", "temperature_c", "humidity_pct",
                             "wind_speed_kmh", "latitude", "longitude", "city_id"}


def test_required_fields_of_air_quality_measurement():
    declared = _declared_field_kwargs(AirQualityMeasurement)
    expected = [name for name, info in declared.items() if "None" not in info["annotation"]
                and "Optional" not in info["annotation"]]
    assert required_fields(AirQualityMeasurement) == expected
    assert expected == aq_models.MEASUREMENT_SCHEMA.names  # no nullable column in the contract


def test_bounds_agree_with_pydantic_validation():
    """A value just inside every bound validates; just outside fails (for ge/le fields)."""
    base = dict(city_id=1, city_name="X", country_name="Y", country_code="XY", latitude=0.0, longitude=0.0,
                timestamp="2020-01-01T00:00:00Z", pm25=1.0, pm10=1.0, no2=1.0, so2=1.0, co=1.0, o3=1.0,
                temperature_c=1.0, humidity_pct=1.0, wind_speed_kmh=1.0, is_raining=False)
    AirQualityMeasurement.model_validate(base)
    declared = _declared_field_kwargs(AirQualityMeasurement)
    for name, (low, high) in field_bounds(AirQualityMeasurement).items():
        kw = declared[name]["kwargs"]
        for bound, inclusive, step in ((low, "ge" in kw, -1), (high, "le" in kw, +1)):
            if bound is None:
                continue
            if inclusive:
                AirQualityMeasurement.model_validate({**base, name: bound})
            delta = 1 if declared[name]["annotation"] == "int" else 1e-6
            with pytest.raises(ValidationError):
                AirQualityMeasurement.model_validate({**base, name: bound + step * delta})
