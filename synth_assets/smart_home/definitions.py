"""Everything the smart-home family contributes to the code location."""

import dagster as dg

from synth_assets.smart_home import assets
from synth_assets.smart_home.context.assets import CONTEXT_ASSETS
from synth_assets.smart_home.events.assets import EVENT_ASSETS
from synth_assets.smart_home.export.assets import EXPORT_ASSETS
from synth_assets.smart_home.patterns.assets import PATTERN_ASSETS
from synth_assets.smart_home.patterns.schedule import daily_job, daily_schedule
from synth_assets.smart_home.training.assets import TRAINING_ASSETS
from synth_assets.smart_home.training.jobs import training_job

defs = dg.Definitions(assets=[*assets.DIMENSION_ASSETS, *CONTEXT_ASSETS, *EVENT_ASSETS, *EXPORT_ASSETS,
                              *PATTERN_ASSETS, *TRAINING_ASSETS], jobs=[daily_job, training_job],
                      schedules=[daily_schedule])
