"""The synth_assets code location: every family's definitions (see families.py) plus the shared resources."""

import dagster as dg

from synth_assets.content.settings import ContentSettings
from synth_assets.core.resources import SynthSettings
from synth_assets.families import FAMILIES
from synth_assets.smart_home.settings import SmartHomeSettings

# Configured at launch: every unset value is read from run config, else the environment of the run, when
# the run starts (nothing is read here). The DuckDB file follows the run's data directory.
defs = dg.Definitions.merge(
    *(family.definitions() for family in FAMILIES),
    dg.Definitions(resources={"settings": SynthSettings.configure_at_launch(),
                              "content": ContentSettings.configure_at_launch(),
                              "smart_home": SmartHomeSettings.configure_at_launch()}),
)
