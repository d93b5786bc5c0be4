"""Run in the Home Assistant 2024.3 tool environment: validate automations files with the automation
integration's own config validator.

``python validate_automations.py <file.yaml> ...`` prints ``RESULT {"<file>": {"valid": [ids], "errors": [...]}}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import traceback

import homeassistant.core as ha_core  # first: homeassistant.loader needs it imported
from homeassistant import loader
from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity, template, translation
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import floor_registry as fr
from homeassistant.helpers import label_registry as lr
from homeassistant.util.yaml import load_yaml


async def main(paths: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as config_dir:
        hass = ha_core.HomeAssistant(config_dir)
        loader.async_setup(hass)
        translation.async_setup(hass)
        entity.async_setup(hass)
        template.async_setup(hass)
        for registry in (lr, fr, ar, dr, er):  # empty: the triggers' validators look entity ids up
            await registry.async_load(hass)
        result = {}
        for path in paths:
            valid, errors = [], []
            for item in load_yaml(path) or []:
                checked = await async_validate_config_item(hass, "automation", item)
                if checked is None or checked.validation_failed:
                    errors.append(f"{item.get('id')}: {getattr(checked, 'validation_error', 'invalid')}")
                else:
                    valid.append(item["id"])
            result[path] = {"valid": valid, "errors": errors}
        return result


if __name__ == "__main__":
    try:
        output = asyncio.new_event_loop().run_until_complete(main(sys.argv[1:]))
        print("RESULT " + json.dumps(output), flush=True)
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    os._exit(0)
