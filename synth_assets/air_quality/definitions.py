"""Everything the air-quality family contributes to the code location."""

import dagster as dg

from synth_assets.air_quality import assets, jobs, stream_assets

defs = dg.Definitions(
    assets=[assets.city_profiles, assets.hourly_measurements, assets.yearly_measurements,
            stream_assets.streamed_measurements],
    jobs=[jobs.daily_job, jobs.yearly_job],
    schedules=[jobs.nightly_schedule],
    sensors=[jobs.yearly_refresh_sensor],
)
