"""The event log of one partition while it is generated: flat arrays appended per entity kind.

Each row is one state write: entity row, seconds since its home's local midnight, a state (a code into
:data:`STATES` or a number with its decimals), an optional attribute, the row that caused it (an
automation's trigger) and the occupant who made it by hand. Pure: no Dagster.
"""

from __future__ import annotations

import numpy as np

STATES = ("on", "off", "home", "not_home", "unlocked", "locked", "open", "closed", "playing", "idle", "heat",
          "cleaning", "docked")
CODE = {state: code for code, state in enumerate(STATES)}
NUMERIC = -1
# attribute written with the state: none, {"brightness": n}, {"current_position": n}, {"temperature": x}
ATTRIBUTES = (None, "brightness", "current_position", "temperature")
ATTRIBUTE = {name: code for code, name in enumerate(ATTRIBUTES) if name}

# kind -> (active state, idle state, attribute of the state)
INTERVAL_STATES: dict[str, tuple[str, str, str | None]] = {
    "binary_sensor.motion": ("on", "off", None), "binary_sensor.occupancy": ("on", "off", None),
    "binary_sensor.door": ("on", "off", None), "binary_sensor.window": ("on", "off", None),
    "light": ("on", "off", "brightness"), "switch.outlet": ("on", "off", None), "fan": ("on", "off", None),
    "media_player.tv": ("on", "off", None), "media_player.speaker": ("playing", "idle", None),
    "cover.blind": ("open", "closed", "current_position"), "cover.shade": ("open", "closed", "current_position"),
    "cover.garage": ("open", "closed", "current_position"), "lock": ("unlocked", "locked", None),
    "climate": ("heat", "off", "temperature"), "vacuum": ("cleaning", "docked", None),
    "person": ("home", "not_home", None), "device_tracker": ("home", "not_home", None),
}
INTERVAL_KINDS = tuple(INTERVAL_STATES)
# by position in INTERVAL_KINDS: the active and idle state codes and the attribute code
ACTIVE_CODE = np.array([CODE[INTERVAL_STATES[k][0]] for k in INTERVAL_KINDS], dtype=np.int16)
IDLE_CODE = np.array([CODE[INTERVAL_STATES[k][1]] for k in INTERVAL_KINDS], dtype=np.int16)
ATTRIBUTE_CODE = np.array([ATTRIBUTE.get(INTERVAL_STATES[k][2], 0) for k in INTERVAL_KINDS], dtype=np.int8)
FIELDS = ("ent", "t", "code", "value", "decimals", "attribute", "level", "parent", "user")
_TYPES = {"ent": np.int64, "t": np.float64, "code": np.int16, "value": np.float64, "decimals": np.int8,
          "attribute": np.int8, "level": np.float64, "parent": np.int64, "user": np.int8}
_DEFAULTS = {"code": NUMERIC, "value": np.nan, "decimals": 0, "attribute": 0, "level": np.nan, "parent": -1,
             "user": -1}


class EventLog:
    """Append-only columns; :meth:`add` returns the global row numbers of the rows it added. A column left
    at its default (or given one value) is kept as that value and only spread out by :meth:`columns`."""

    def __init__(self) -> None:
        self.parts: dict[str, list[tuple[object, int]]] = {f: [] for f in FIELDS}
        self.rows = 0

    def add(self, ent: np.ndarray, t: np.ndarray, **columns) -> np.ndarray:
        n = len(ent)
        unknown = set(columns) - set(FIELDS)
        if unknown:
            raise TypeError(f"unknown event columns {sorted(unknown)}")
        for name in FIELDS:
            value = {"ent": ent, "t": t}.get(name, columns.get(name, _DEFAULTS.get(name)))
            if np.ndim(value) and len(value) != n:
                raise ValueError(f"column {name} has {len(value)} values for {n} events")
            self.parts[name].append((value, n))
        rows = np.arange(self.rows, self.rows + n, dtype=np.int64)
        self.rows += n
        return rows

    def columns(self) -> dict[str, np.ndarray]:
        out = {}
        for name, parts in self.parts.items():
            column = np.empty(self.rows, dtype=_TYPES[name])
            at = 0
            for value, n in parts:
                column[at:at + n] = value
                at += n
            out[name] = column
        return out
