"""An independent reference for the marts: every metric recomputed with pandas/numpy from canonical
rows (the DATASETS.md layout: the shared CSVs, a scenario's frames, or raw tables read back).

It shares no code with the dbt models, their macros or the pipelines package: its own NYSE and CME
calendars (exchange_calendars, zoneinfo), its own as-of joins, regressions and statistics. Where it
and a mart disagree, one of them is wrong. `reference_marts(frames)` returns one frame per mart."""
from tests.reference.marts import reference_marts

__all__ = ["reference_marts"]
