"""Home descriptions: deterministic template text built from the home's own rows, the openai backend off by
default and refused when configured incompletely, and never a network call in tests."""

from __future__ import annotations

import polars as pl
import pytest

from synth_assets.smart_home.export import descriptions
from synth_assets.smart_home.export.descriptions import (
    DescriptionBackendError,
    OpenAIEndpoint,
    describe_homes,
    openai_rewriter,
)
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets_tests.smart_home.export_frames import dimensions


@pytest.fixture(scope="module")
def dims():
    return dimensions(seed=9, homes=6)


def test_descriptions_are_deterministic_and_state_the_homes_facts(dims):
    first = describe_homes(dims["homes"], dims["areas"], dims["devices"])
    again = describe_homes(dimensions(seed=9, homes=6)["homes"], dims["areas"], dims["devices"])
    assert first.equals(again)
    assert first["home_id"].to_list() == dims["homes"]["home_id"].to_list()
    assert set(first["backend"]) == {"templates"} and first["model"].null_count() == first.height
    for home, text in zip(dims["homes"].iter_rows(named=True), first["description"], strict=True):
        assert home["city_name"] in text and home["timezone"] in text
        assert all(name in text for name in home["occupant_names"])
        rooms = dims["areas"].filter(pl.col("home_id") == home["home_id"])["name"]
        assert all(room in text for room in rooms)


def test_descriptions_differ_between_homes_and_follow_the_rows(dims):
    texts = describe_homes(dims["homes"], dims["areas"], dims["devices"])["description"]
    assert texts.n_unique() == texts.len()
    no_devices = describe_homes(dims["homes"].head(1), dims["areas"], dims["devices"].clear())
    assert "Nothing is installed" in no_devices["description"][0]


def test_a_rewriter_replaces_the_text_and_is_recorded(dims):
    rewritten = describe_homes(dims["homes"], dims["areas"], dims["devices"], rewrite=str.upper, backend="openai",
                               model="m")
    assert all(text == text.upper() for text in rewritten["description"])
    assert set(rewritten["backend"]) == {"openai"} and set(rewritten["model"]) == {"m"}


def test_openai_backend_is_off_by_default_and_bad_configs_are_refused(monkeypatch):
    for name in ("SYNTH_SMART_HOME_DESCRIPTIONS", "SYNTH_SMART_HOME_OPENAI_BASE_URL", "SYNTH_SMART_HOME_OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    settings = SmartHomeSettings()
    assert settings.description_backend == "templates" and settings.openai_endpoint() is None
    with pytest.raises(DescriptionBackendError, match="base URL"):
        OpenAIEndpoint(base_url="api.openai.com", model="gpt")
    with pytest.raises(DescriptionBackendError, match="model"):
        OpenAIEndpoint(base_url="https://api.example.invalid/v1", model="")
    with pytest.raises(ValueError, match="SYNTH_SMART_HOME_OPENAI_BASE_URL"):
        SmartHomeSettings.from_env({"SYNTH_SMART_HOME_DESCRIPTIONS": "openai"})
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(DescriptionBackendError, match="OPENAI_API_KEY"):
        openai_rewriter(OpenAIEndpoint(base_url="https://api.example.invalid/v1", model="m"))


def test_no_network_is_touched_when_the_key_is_set(monkeypatch):
    calls = []
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setattr(descriptions.urllib.request, "urlopen", lambda *a, **k: calls.append(a) or 1 / 0)
    rewrite = openai_rewriter(OpenAIEndpoint(base_url="https://api.example.invalid/v1", model="m"))
    assert calls == []                       # building the rewriter sends nothing
    with pytest.raises(ZeroDivisionError):   # calling it goes through urlopen (replaced here)
        rewrite("text")
    request = calls[0][0]
    assert request.full_url == "https://api.example.invalid/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer test-key"
