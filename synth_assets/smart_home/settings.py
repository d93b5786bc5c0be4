"""The smart-home family's resource: how many homes of which types, from env or run config.

Environment variables: ``SYNTH_SMART_HOME_HOMES`` (default 20, at least 1). The seed and the data
directory are the ``settings`` resource's (``SYNTH_SEED``, ``SYNTH_DATA_DIR``).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from synth_assets.core.env import FromEnv, parse_int
from synth_assets.core.resources import EnvSettings
from synth_assets.smart_home.models import DEFAULT_HOMES, HOME_TYPES, SmartHomeConfig, check_home_types

SMART_HOME_FROM_ENV = (
    FromEnv("homes", "SYNTH_SMART_HOME_HOMES", DEFAULT_HOMES, parse_int, "an integer"),
)


class SmartHomeSettings(EnvSettings):
    """Number of homes and (optionally) which home types; unset values come from the environment."""

    ENV: ClassVar[tuple[FromEnv, ...]] = SMART_HOME_FROM_ENV

    homes: int | None = Field(default=None, ge=1, description="unset: SYNTH_SMART_HOME_HOMES, else 20")
    home_types: list[str] | None = Field(
        default=None, description=f"subset of {', '.join(HOME_TYPES)} (unset: all, at their shares)")

    @field_validator("home_types")
    @classmethod
    def _known_types(cls, types):
        checked = check_home_types(types)
        return None if checked is None else list(checked)

    def config(self, master_seed: int) -> SmartHomeConfig:
        """The validated generation config with the run's master seed."""
        return SmartHomeConfig(seed=master_seed, homes=self.homes,
                               home_types=None if self.home_types is None else tuple(self.home_types))

