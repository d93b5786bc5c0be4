"""Read value ranges and required fields off Pydantic models, so a bound is written only once."""

from __future__ import annotations

import annotated_types as at
from pydantic import BaseModel


def field_bounds(model: type[BaseModel]) -> dict[str, tuple[float | None, float | None]]:
    """``{field: (lower, upper)}`` for every numeric field with ge/gt/le/lt constraints."""
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for name, info in model.model_fields.items():
        low = high = None
        for constraint in info.metadata:
            if isinstance(constraint, (at.Ge, at.Gt)):
                low = getattr(constraint, "ge", getattr(constraint, "gt", None))
            elif isinstance(constraint, (at.Le, at.Lt)):
                high = getattr(constraint, "le", getattr(constraint, "lt", None))
        if low is not None or high is not None:
            bounds[name] = (low, high)
    return bounds


def required_fields(model: type[BaseModel]) -> list[str]:
    """Fields that may not be null (no ``None`` in their annotation)."""
    return [
        name
        for name, info in model.model_fields.items()
        if not (info.annotation is type(None) or "None" in repr(info.annotation))
    ]
