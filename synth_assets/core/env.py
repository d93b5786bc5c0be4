"""Settings that come from the environment unless run config gives them, resolved when a run starts.

A resource field left unset (``None``) in run config takes its environment variable, else its default.
Dagster builds a run's resources from run config when the run starts, so a partial run config overrides
only the values it names; every other value keeps coming from the environment of the launch. Reading
happens in the resource's validator, never when a module is imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FromEnv:
    """Field ``field`` falls back to ``variable``, parsed by ``parse``, else ``default``."""

    field: str
    variable: str
    default: Any
    parse: Callable[[str], Any] = str
    expected: str = "a value"


def parse_int(text: str) -> int:
    return int(text.strip())


def resolve_from_env(data: Any, sources: tuple[FromEnv, ...], environ: Mapping[str, str] | None = None) -> Any:
    """Fill the unset fields of a resource's input ``data`` from the environment (a pydantic "before" step).

    A value that does not parse raises ``ValueError`` naming the variable, its value and what was expected.
    """
    if not isinstance(data, Mapping):
        return data  # pydantic reports the wrong type itself
    env = os.environ if environ is None else environ
    filled = dict(data)
    for source in sources:
        if filled.get(source.field) is not None:
            continue
        text = env.get(source.variable)
        if text is None or text == "":
            filled[source.field] = source.default
            continue
        try:
            filled[source.field] = source.parse(text)
        except ValueError as exc:
            # keep the parser's error class (e.g. UnknownModeError) and its reason, and name the variable
            raise type(exc)(f"environment variable {source.variable}={text!r} is not {source.expected} ({exc}); "
                            f"it sets {source.field!r}: unset it or give {source.field} in run config") from None
    return filled
