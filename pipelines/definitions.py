"""The code location Dagster loads (`pyproject.toml` [tool.dagster]): the one Definitions object,
assembled in pipelines/code_location.py.

It loads with the garbage collector paused, then the loaded objects (dagster, dbt-core, pandas, the
assets and the dbt manifest: millions of objects that live as long as the process) are frozen out of
later collections, so the collections during a run scan only what the run creates. Every process
that loads the code location gets this: a `btcflows` command, a run worker, the code server.
"""
from pipelines.runs.gc_tuning import frozen_after_loading

with frozen_after_loading():
    from pipelines.code_location import all_assets, defs, resources  # noqa: F401
