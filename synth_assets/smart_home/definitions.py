"""Everything the smart-home family contributes to the code location."""

import dagster as dg

from synth_assets.smart_home import assets

defs = dg.Definitions(assets=[*assets.DIMENSION_ASSETS])
