"""synth_assets: realistic, reproducible synthetic data as Dagster software-defined assets.

Importing the package first sets polars' allocator to keep freed pages for reuse (:mod:`.core.allocator`),
before anything imports polars.
"""

from synth_assets.core.allocator import keep_freed_pages

keep_freed_pages()
