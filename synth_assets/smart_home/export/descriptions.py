"""``smart_home.home_descriptions``: a natural-language description of each home (the seed's OpenAI generator).

By default the text comes from templates filled with the home's own rows (type, city, size, household,
routines, rooms by floor, devices by kind, brands): deterministic and offline, one paragraph per home.

Optionally (``SmartHomeSettings.description_backend = "openai"``, off by default) each home's template
text and facts are sent as a prompt to an OpenAI-compatible ``/chat/completions`` endpoint
(:class:`OpenAIEndpoint`: base URL, model, API key from an environment variable), and the reply is stored
with the backend name. That path is never used by the tests and is not reproducible byte for byte: the
model decides. Pure: no Dagster.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

import polars as pl

DESCRIPTION_COLUMNS = {"home_id": pl.String, "backend": pl.String, "model": pl.String, "description": pl.String}
BACKENDS = ("templates", "openai")
OPENAI_TIMEOUT_SECONDS = 60
SYSTEM_PROMPT = ("You describe synthetic smart homes for a dataset card. Rewrite the facts given as one natural "
                 "paragraph of at most 120 words. Do not invent devices, rooms or people.")
_FLOOR_WORDS = {-1: "the basement", 0: "the ground floor", 1: "the first floor", 2: "the attic"}


class DescriptionBackendError(ValueError):
    """A description backend that is unknown or configured incompletely."""


@dataclass(frozen=True)
class OpenAIEndpoint:
    """Where the optional backend sends its prompts; the key is read from ``api_key_env`` at call time."""

    base_url: str
    model: str
    api_key_env: str = "OPENAI_API_KEY"

    def __post_init__(self) -> None:
        parsed = urlparse(self.base_url or "")
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise DescriptionBackendError(
                f"the openai description backend needs a base URL such as https://api.openai.com/v1, got "
                f"{self.base_url!r} (set SYNTH_SMART_HOME_OPENAI_BASE_URL or description_openai_base_url)")
        if not self.model:
            raise DescriptionBackendError("the openai description backend needs a model name "
                                          "(set SYNTH_SMART_HOME_OPENAI_MODEL or description_openai_model)")


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise DescriptionBackendError(f"unknown description backend {backend!r}; valid: {', '.join(BACKENDS)}")
    return backend


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1] if words else ""


def _clock(minute: int) -> str:
    minute %= 24 * 60
    return f"{minute // 60:02d}:{minute % 60:02d}"


def template_description(home: dict, areas: pl.DataFrame, devices: pl.DataFrame) -> str:
    """One paragraph from the home's rows; ``areas`` and ``devices`` are that home's."""
    kind = str(home["home_type"]).replace("_", " ")
    article = "An" if kind[0] in "aeiou" else "A"
    names = list(home["occupant_names"] or [])
    household = f"{_plural(int(home['adults']), 'adult')}"
    if home["children"]:
        household += f" and {_plural(int(home['children']), 'child')}".replace("childs", "children")
    text = [f"{article} {kind} of {home['floor_area_m2']:.0f} m² in {home['city_name']} ({home['country_code']}, "
            f"{home['timezone']}), home to {household}: {_join(names)}."]
    routine = (f"They usually wake at {_clock(int(home['wake_minute']))}, leave at {_clock(int(home['leave_minute']))}"
               f", are back at {_clock(int(home['return_minute']))} and go to bed at "
               f"{_clock(int(home['bedtime_minute']))}")
    if home["work_from_home_days"]:
        routine += f"; someone works from home {_plural(int(home['work_from_home_days']), 'day')} a week"
    if home["shift_workers"]:
        verb = "works" if home["shift_workers"] == 1 else "work"
        routine += f"; {_plural(int(home['shift_workers']), 'occupant')} {verb} shifts"
    text.append(routine + ".")
    for level, rooms in areas.sort("level").group_by("level", maintain_order=True):
        where = _FLOOR_WORDS.get(int(level[0]), f"level {level[0]}")
        text.append(f"On {where}: {_join(rooms['name'].to_list())}.")
    installed = devices.filter(pl.col("device_type") != "phone")
    if installed.height:
        kinds = (installed.group_by("device_type").len().sort(["len", "device_type"], descending=[True, False]))
        parts = [_plural(int(n), str(t).replace("_", " ")) for t, n in kinds.iter_rows()]
        brands = installed.group_by("manufacturer").len().sort(["len", "manufacturer"], descending=[True, False])
        text.append(f"Installed: {_join(parts)}, mostly from {_join(brands['manufacturer'].head(3).to_list())}, "
                    f"connected through {_join(sorted(installed['integration'].unique().to_list()))}.")
    else:
        text.append("Nothing is installed besides the occupants' phones.")
    return " ".join(text)


def describe_homes(homes: pl.DataFrame, areas: pl.DataFrame, devices: pl.DataFrame,
                   rewrite: Callable[[str], str] | None = None, backend: str = "templates",
                   model: str | None = None) -> pl.DataFrame:
    """One row per home (in ``homes`` order); ``rewrite`` turns the template text into the final text."""
    by_home_areas = areas.partition_by("home_id", as_dict=True, maintain_order=True)
    by_home_devices = devices.partition_by("home_id", as_dict=True, maintain_order=True)
    empty_areas, empty_devices = areas.clear(), devices.clear()
    texts = []
    for home in homes.iter_rows(named=True):  # one paragraph per home; not a per-event path
        key = (home["home_id"],)
        text = template_description(home, by_home_areas.get(key, empty_areas), by_home_devices.get(key, empty_devices))
        texts.append(rewrite(text) if rewrite is not None else text)
    return pl.DataFrame({"home_id": homes["home_id"], "backend": [backend] * homes.height,
                         "model": [model] * homes.height, "description": texts}, schema=DESCRIPTION_COLUMNS)


def openai_rewriter(endpoint: OpenAIEndpoint) -> Callable[[str], str]:
    """A function that asks the endpoint's chat model to rewrite a template description."""
    key = os.environ.get(endpoint.api_key_env)
    if not key:
        raise DescriptionBackendError(f"the openai description backend reads its API key from "
                                      f"{endpoint.api_key_env}, which is not set")
    url = endpoint.base_url.rstrip("/") + "/chat/completions"

    def rewrite(text: str) -> str:
        body = json.dumps({"model": endpoint.model, "temperature": 0, "messages": [
            {"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": text}]}).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=OPENAI_TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) only
            reply = json.load(response)
        return str(reply["choices"][0]["message"]["content"]).strip()

    return rewrite
