"""Everything the content family contributes to the code location."""

import dagster as dg

from synth_assets.content import assets

seed_job = dg.define_asset_job(
    "content_seed_job", selection=dg.AssetSelection.groups(assets.GROUP),
    description="Seed the content database for a range of days: users -> content -> generation jobs.")

defs = dg.Definitions(
    assets=[assets.users, assets.content_items, assets.content_items_auto, assets.generation_jobs],
    jobs=[seed_job],
)
