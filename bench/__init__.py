"""Benchmarks (``make bench``). synth_assets is imported first: it sets polars' allocator before polars loads."""

import synth_assets  # noqa: F401
