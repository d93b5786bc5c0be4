"""The air-quality modes and their check (no dagster; :mod:`synth_assets.core.resources` re-exports them)."""

from __future__ import annotations

AIR_QUALITY_MODES = ("sample", "full")


class UnknownModeError(ValueError):
    pass


def check_air_quality_mode(mode: str) -> str:
    if mode not in AIR_QUALITY_MODES:
        raise UnknownModeError(
            f"unknown air-quality mode {mode!r}; valid modes: {', '.join(AIR_QUALITY_MODES)} "
            "(set SYNTH_AIR_QUALITY_MODE or resources.settings.config.air_quality_mode)"
        )
    return mode
