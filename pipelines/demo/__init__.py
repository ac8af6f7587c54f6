"""The demo: a seeded scenario simulator whose payloads go through the real parsers.

* `scenario.build_scenario(seed, start, end, crash_day) -> Scenario`: canonical rows of every
  dataset plus the planted truths (`Scenario.truths`).
* `simulate.simulate(archive, ...)`: every demo source's renderer (`render/<module>.py`) per New
  York day into the archive, mode "simulated"; `simulate.DEMO_SOURCES`, `simulate.DEFAULT_WINDOW`.
"""
