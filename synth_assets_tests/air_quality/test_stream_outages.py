"""Sensor outages as a loss rate: the configured share of readings is lost, in bursts, batch-independently.

The long runs here feed the outage process the simulator's own random slots (sensor pick and drop
uniform of reading ``i`` of a seed) without building the messages, so millions of readings take a
second. Bands are about three standard deviations of the lost count: an outage process with starts
``N`` and geometric lengths ``ℓ`` has Var(lost) ≈ E[N]·E[ℓ²], with E[ℓ²] = (2 - 1/L)·L².
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from synth_assets.air_quality.stream.config import StreamConfig
from synth_assets.air_quality.stream.faults import (
    OutageProcess,
    expected_lost_share,
    outage_lengths,
    outage_start_probability,
)
from synth_assets.air_quality.stream.messages import _DROP, _SENSOR, reading_words
from synth_assets.core import rng

CHUNK = 500_000


def simulator_slots(seed: int, n: int, sensors: int) -> tuple[np.ndarray, np.ndarray]:
    """Sensor index and drop uniform of readings 0 .. n of a run with ``seed``, as the simulator draws them."""
    picks, drops = [], []
    for first in range(0, n, CHUNK):
        words = reading_words(seed, first, min(CHUNK, n - first))
        picks.append((rng.to_uniform(words[:, _SENSOR].copy()) * sensors).astype(np.int64))
        drops.append(rng.to_uniform(words[:, _DROP].copy()))
    return np.concatenate(picks), np.concatenate(drops)


def lost_over(process: OutageProcess, sensors: np.ndarray, drop_u: np.ndarray, batch: int = 5_000) -> np.ndarray:
    return np.concatenate([process.lost_mask(sensors[i:i + batch], drop_u[i:i + batch])
                           for i in range(0, len(sensors), batch)])


def bursts(sensors: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """Lengths of the maximal runs of lost readings in each sensor's own sequence (measured from the mask)."""
    order = np.argsort(sensors, kind="stable")
    by_sensor, flags = sensors[order], lost[order].astype(np.int8)
    starts = (flags == 1) & ((np.diff(flags, prepend=0) == 1) | (np.diff(by_sensor, prepend=-1) != 0))
    run_id = np.cumsum(starts) * flags
    return np.bincount(run_id)[1:]


@pytest.mark.parametrize("share", [0.0, 0.001, 0.05, 0.3])
@pytest.mark.parametrize("mean_readings", [1.0, 4.0, 30.0])
def test_the_start_probability_gives_back_the_share(share, mean_readings):
    p = outage_start_probability(share, mean_readings)
    assert 0 <= p <= share
    assert expected_lost_share(p, mean_readings) == pytest.approx(share, rel=1e-12, abs=1e-15)
    if mean_readings == 1:
        assert p == pytest.approx(share)  # no bursts: every loss is its own outage


def test_outage_lengths_are_geometric_with_the_configured_mean():
    u = rng.to_uniform(rng.raw_blocks(1, ("test", "lengths"), 0, 1, 400_000)[0])
    lengths = outage_lengths(u, 4.0)
    assert lengths.min() == 1
    assert lengths.mean() == pytest.approx(4.0, rel=0.01)  # sd of the mean: sqrt(12 / 400k) = 0.0055
    assert np.mean(lengths == 1) == pytest.approx(0.25, abs=0.003)  # P(ℓ = 1) = 1 / L
    assert (outage_lengths(u, 1.0) == 1).all()


@pytest.mark.parametrize("mode", ["development", "production"])
def test_default_settings_lose_0_1_percent_of_readings_in_bursts(mode):
    config = StreamConfig(mode=mode)
    n = 4_000_000  # about 4,000 lost in about 1,000 outages: 3 sd of the share = 0.016 percentage points
    sensors, drop_u = simulator_slots(seed=7, n=n, sensors=config.sensor_count)
    process = OutageProcess(config.drop_rate, config.outage_mean_readings)
    lost = lost_over(process, sensors, drop_u)
    assert lost.sum() == process.lost
    assert lost.mean() == pytest.approx(0.001, abs=0.0002)
    runs = bursts(sensors, lost)
    assert runs.sum() == lost.sum()
    assert runs.mean() == pytest.approx(config.outage_mean_readings, rel=0.12)  # bursts, not lone losses
    assert len(runs) <= process.outages  # an outage may start right after one ends: they join into one burst


def test_a_configured_share_and_length_are_honoured():
    config = StreamConfig(mode="production", drop_rate=0.02, outage_mean_readings=10)
    sensors, drop_u = simulator_slots(seed=3, n=1_000_000, sensors=config.sensor_count)
    process = OutageProcess(config.drop_rate, config.outage_mean_readings)
    lost = lost_over(process, sensors, drop_u)
    assert lost.mean() == pytest.approx(0.02, rel=0.10)  # 20,000 lost in 2,000 outages: 1 sd = 3 %
    assert process.lost / process.outages == pytest.approx(10, rel=0.10)  # 1 sd = 2 %
    assert bursts(sensors, lost).max() > 30  # geometric tails: long outages happen


def test_which_readings_are_lost_does_not_depend_on_the_batches():
    sensors, drop_u = simulator_slots(seed=5, n=300_000, sensors=50)
    one = OutageProcess(0.01, 20.0)
    whole = one.lost_mask(sensors, drop_u)
    cuts = np.unique(rng.rng_for(5, "test", "cuts").integers(1, len(sensors), 200))
    many = OutageProcess(0.01, 20.0)
    pieces = [many.lost_mask(sensors[a:b], drop_u[a:b]) for a, b in zip([0, *cuts], [*cuts, len(sensors)])]
    assert np.array_equal(whole, np.concatenate(pieces))
    assert (one.lost, one.outages) == (many.lost, many.outages) and one.outages > 100


def test_sensor_names_work_like_indices():
    sensors, drop_u = simulator_slots(seed=9, n=50_000, sensors=10)
    names = np.array([f"sensor-{i:05d}" for i in sensors], dtype=object)
    assert np.array_equal(lost_over(OutageProcess(0.01, 6.0), sensors, drop_u),
                          lost_over(OutageProcess(0.01, 6.0), names, drop_u, batch=777))


def test_no_share_loses_nothing_and_ranges_are_checked():
    sensors, drop_u = simulator_slots(seed=1, n=20_000, sensors=10)
    assert not OutageProcess(0.0, 4.0).lost_mask(sensors, drop_u).any()
    for bad in ({"drop_rate": -0.001}, {"drop_rate": 0.6}, {"outage_mean_readings": 0.5}):
        with pytest.raises(ValidationError):
            StreamConfig(**bad)
    with pytest.raises(ValueError, match="lost share"):
        outage_start_probability(1.0, 4.0)
