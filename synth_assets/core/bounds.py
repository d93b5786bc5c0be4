"""Read value ranges and required fields off Pydantic models, so a bound is written only once."""

from __future__ import annotations

import types
import typing
from typing import NamedTuple

import annotated_types as at
from pydantic import BaseModel


class Range(NamedTuple):
    """A field's allowed interval; a strict side (``gt``/``lt``) excludes the bound itself."""

    low: float | None
    high: float | None
    low_strict: bool = False
    high_strict: bool = False


def field_ranges(model: type[BaseModel]) -> dict[str, Range]:
    """``{field: Range}`` for every field with ge/gt/le/lt constraints."""
    ranges: dict[str, Range] = {}
    for name, info in model.model_fields.items():
        low = high = None
        low_strict = high_strict = False
        for constraint in info.metadata:
            if isinstance(constraint, at.Ge):
                low, low_strict = constraint.ge, False
            elif isinstance(constraint, at.Gt):
                low, low_strict = constraint.gt, True
            elif isinstance(constraint, at.Le):
                high, high_strict = constraint.le, False
            elif isinstance(constraint, at.Lt):
                high, high_strict = constraint.lt, True
        if low is not None or high is not None:
            ranges[name] = Range(low, high, low_strict, high_strict)
    return ranges


def field_bounds(model: type[BaseModel]) -> dict[str, tuple[float | None, float | None]]:
    """``{field: (lower, upper)}``: the bounds alone, e.g. for clipping generated values."""
    return {name: (r.low, r.high) for name, r in field_ranges(model).items()}


def _nullable(annotation: object) -> bool:
    if annotation is type(None):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_nullable(arg) for arg in typing.get_args(annotation))
    return False


def required_fields(model: type[BaseModel]) -> list[str]:
    """Fields that may not be null (no ``None`` in their annotation)."""
    return [name for name, info in model.model_fields.items() if not _nullable(info.annotation)]
