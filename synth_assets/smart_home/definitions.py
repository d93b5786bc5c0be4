"""Everything the smart-home family contributes to the code location."""

import dagster as dg

from synth_assets.smart_home import assets
from synth_assets.smart_home.context.assets import CONTEXT_ASSETS
from synth_assets.smart_home.events.anomaly_assets import PLANTED_ANOMALY_ASSETS
from synth_assets.smart_home.events.assets import EVENT_ASSETS
from synth_assets.smart_home.export.assets import EXPORT_ASSETS
from synth_assets.smart_home.patterns.anomaly_assets import ANOMALY_ASSETS
from synth_assets.smart_home.patterns.assets import PATTERN_ASSETS
from synth_assets.smart_home.patterns.schedule import daily_job, daily_schedule
from synth_assets.smart_home.patterns.suggestion_assets import SUGGESTION_ASSETS
from synth_assets.smart_home.training.assets import TRAINING_ASSETS
from synth_assets.smart_home.training.jobs import training_job
from synth_assets.smart_home.training.prompt_pair_assets import PROMPT_PAIR_ASSETS

defs = dg.Definitions(assets=[*assets.DIMENSION_ASSETS, *CONTEXT_ASSETS, *EVENT_ASSETS, *EXPORT_ASSETS,
                              *PLANTED_ANOMALY_ASSETS, *PATTERN_ASSETS, *ANOMALY_ASSETS, *SUGGESTION_ASSETS,
                              *TRAINING_ASSETS, *PROMPT_PAIR_ASSETS],
                      jobs=[daily_job, training_job],
                      schedules=[daily_schedule])
