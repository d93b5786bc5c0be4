"""The ``training`` job: a training run is one run of it for an analysis day (a daily partition).

It materializes every asset of the group ``smart_home_training`` for the day: the device graph, the
prompt/automation pairs and the baseline classifier of home type trained on the graph. Its inputs (the
dimension tables, the events of the window and the day's pattern tables) must exist; a missing one fails
the run with the command that makes it. ``synth runs trigger --day D`` launches it through the GraphQL API.
"""

import dagster as dg

from synth_assets.core.partitions import daily_partitions
from synth_assets.smart_home.training.graph import GROUP

TRAINING_JOB = "training"

training_job = dg.define_asset_job(
    TRAINING_JOB, selection=dg.AssetSelection.groups(GROUP), partitions_def=daily_partitions,
    description="A training run: the training datasets of an analysis day (device graph, prompt/automation pairs) "
                "and a small CPU model (home type from the device graph) with its metrics as metadata.")
