"""The smart-home family's resource: how many homes of which types, from env or run config.

Environment variables: ``SYNTH_SMART_HOME_HOMES`` (default 20, at least 1); ``SYNTH_SMART_HOME_ANOMALY_RATE``
(planted event anomalies per home-day, default 0.02, 0-0.5); for the Home Assistant export
``SYNTH_SMART_HOME_HA_EXPORT_HOMES`` (comma-separated home ids, default: the first home); for the home
descriptions ``SYNTH_SMART_HOME_DESCRIPTIONS`` (``templates``, the default, or ``openai``),
``SYNTH_SMART_HOME_OPENAI_BASE_URL`` and ``SYNTH_SMART_HOME_OPENAI_MODEL`` (the key: ``OPENAI_API_KEY``); for the
pattern analysis ``SYNTH_SMART_HOME_PATTERN_WINDOW_DAYS`` (default 28) and ``SYNTH_SMART_HOME_PATTERN_MIN_SUPPORT``.
The seed and the data directory are the ``settings`` resource's (``SYNTH_SEED``, ``SYNTH_DATA_DIR``).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from synth_assets.core.env import FromEnv, parse_int
from synth_assets.core.resources import EnvSettings
from synth_assets.smart_home.export.descriptions import OpenAIEndpoint, check_backend
from synth_assets.smart_home.models import (
    DEFAULT_ANOMALY_RATE,
    DEFAULT_HOMES,
    HOME_TYPES,
    SmartHomeConfig,
    check_home_types,
)
from synth_assets.smart_home.patterns.models import PatternConfig

_PATTERN_DEFAULTS = PatternConfig()


def _home_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


SMART_HOME_FROM_ENV = (
    FromEnv("homes", "SYNTH_SMART_HOME_HOMES", DEFAULT_HOMES, parse_int, "an integer"),
    FromEnv("anomaly_rate", "SYNTH_SMART_HOME_ANOMALY_RATE", DEFAULT_ANOMALY_RATE, float, "a number"),
    FromEnv("ha_export_homes", "SYNTH_SMART_HOME_HA_EXPORT_HOMES", None, _home_list, "comma-separated home ids"),
    FromEnv("description_backend", "SYNTH_SMART_HOME_DESCRIPTIONS", "templates", str, "templates or openai"),
    FromEnv("description_openai_base_url", "SYNTH_SMART_HOME_OPENAI_BASE_URL", None, str, "a URL"),
    FromEnv("description_openai_model", "SYNTH_SMART_HOME_OPENAI_MODEL", None, str, "a model name"),
    FromEnv("pattern_window_days", "SYNTH_SMART_HOME_PATTERN_WINDOW_DAYS", _PATTERN_DEFAULTS.window_days, parse_int,
            "an integer"),
    FromEnv("pattern_min_support", "SYNTH_SMART_HOME_PATTERN_MIN_SUPPORT", _PATTERN_DEFAULTS.min_support, parse_int,
            "an integer"),
)


class SmartHomeSettings(EnvSettings):
    """Number of homes and (optionally) which home types; unset values come from the environment."""

    ENV: ClassVar[tuple[FromEnv, ...]] = SMART_HOME_FROM_ENV

    homes: int | None = Field(default=None, ge=1, description="unset: SYNTH_SMART_HOME_HOMES, else 20")
    home_types: list[str] | None = Field(
        default=None, description=f"subset of {', '.join(HOME_TYPES)} (unset: all, at their shares)")
    anomaly_rate: float | None = Field(
        default=None, ge=0, le=0.5, description="anomalies planted in smart_home/events per home-day (unset: "
                                                "SYNTH_SMART_HOME_ANOMALY_RATE, else 0.02)")

    ha_export_homes: list[str] | None = Field(
        default=None, description="homes written by smart_home/ha_export (unset: SYNTH_SMART_HOME_HA_EXPORT_HOMES, "
                                  "else the first home)")
    description_backend: str | None = Field(
        default=None, description="smart_home/home_descriptions: templates (default, offline) or openai")
    description_openai_base_url: str | None = Field(default=None, description="OpenAI-compatible API base URL")
    description_openai_model: str | None = Field(default=None, description="model for the openai backend")

    pattern_window_days: int | None = Field(
        default=None, description="days of events each pattern analysis day reads, the day included (1-366; "
                                  "unset: SYNTH_SMART_HOME_PATTERN_WINDOW_DAYS, else 28)")
    pattern_min_support: int | None = Field(
        default=None, description="least days a time of day recurs on "
                                  "(unset: SYNTH_SMART_HOME_PATTERN_MIN_SUPPORT, else 4)")
    pattern_min_pair_support: int | None = Field(
        default=None, description="least occurrences of a pair, least starts of a chain (unset: 8)")
    pattern_max_dispersion: float | None = Field(
        default=None, description="pairs: most spread of the lags, (q75 - q25) / median (unset: 0.35)")
    pattern_max_lag_seconds: float | None = Field(default=None, description="pairs: B follows A within this")
    pattern_min_confidence: float | None = Field(default=None, description="pairs: least share of A followed by B")
    pattern_min_lift: float | None = Field(default=None, description="pairs: least lift against chance")

    @model_validator(mode="after")
    def _patterns_valid(self):
        self.patterns()   # out-of-range pattern settings are refused when the run starts, naming the field
        return self

    def patterns(self) -> PatternConfig:
        """The validated pattern-analysis settings (unset fields: PatternConfig's defaults)."""
        given = {"window_days": self.pattern_window_days, "min_support": self.pattern_min_support,
                 "min_pair_support": self.pattern_min_pair_support, "max_dispersion": self.pattern_max_dispersion,
                 "max_lag_seconds": self.pattern_max_lag_seconds, "min_confidence": self.pattern_min_confidence,
                 "min_lift": self.pattern_min_lift}
        try:
            return PatternConfig(**{k: v for k, v in given.items() if v is not None})
        except ValueError as exc:
            problems = "; ".join(f"pattern_{'.'.join(map(str, e['loc']))}={e['input']!r}: {e['msg']}"
                                 for e in exc.errors())  # type: ignore[attr-defined]
            raise ValueError(f"smart_home pattern settings refused: {problems}") from None

    @field_validator("description_backend")
    @classmethod
    def _known_backend(cls, backend):
        return None if backend is None else check_backend(backend)

    @model_validator(mode="after")
    def _endpoint_complete(self):
        self.openai_endpoint()  # an incomplete openai configuration is refused when the run starts
        return self

    def openai_endpoint(self) -> OpenAIEndpoint | None:
        """The endpoint of the openai description backend, or None with the (default) template backend."""
        if self.description_backend != "openai":
            return None
        return OpenAIEndpoint(base_url=self.description_openai_base_url or "",
                              model=self.description_openai_model or "")

    @field_validator("home_types")
    @classmethod
    def _known_types(cls, types):
        checked = check_home_types(types)
        return None if checked is None else list(checked)

    def config(self, master_seed: int) -> SmartHomeConfig:
        """The validated generation config with the run's master seed."""
        return SmartHomeConfig(seed=master_seed, homes=self.homes,
                               home_types=None if self.home_types is None else tuple(self.home_types),
                               anomaly_rate=self.anomaly_rate)

