"""Content platform seed DB: users -> content_items / content_items_auto -> generation_jobs."""
