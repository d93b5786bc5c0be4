"""The synth_assets code location: every family's definitions plus the shared resources."""

import dagster as dg

from synth_assets.air_quality import definitions as air_quality
from synth_assets.content import definitions as content
from synth_assets.content.settings import ContentSettings
from synth_assets.core.resources import SynthSettings

# Unset values come from the environment when a run starts; the DuckDB file follows the run's data dir.
defs = dg.Definitions.merge(
    air_quality.defs,
    content.defs,
    dg.Definitions(resources={"settings": SynthSettings(), "content": ContentSettings()}),
)
