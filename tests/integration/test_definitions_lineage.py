"""The code location loads, and in its asset graph the lineage runs unbroken from every source's
archive asset through its raw table and dbt to the daily mart."""
import dagster as dg

from pipelines import sources
from pipelines.datasets import DATASETS
from pipelines.definitions import defs

GRAPH = defs.get_repository_def().asset_graph
MART = dg.AssetKey(["marts", "fct_daily_snapshot_4pm_et"])


def ancestors(key: dg.AssetKey) -> set[dg.AssetKey]:
    seen, todo = set(), [key]
    while todo:
        for parent in GRAPH.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_every_raw_table_feeds_dbt_and_reaches_marts():
    children_of_raw = {k for name in DATASETS for k in GRAPH.get(dg.AssetKey(["raw", name])).child_keys}
    assert {dg.AssetKey(["staging", f"stg_raw__{name}"]) for name in DATASETS} <= children_of_raw
    mart_ancestors = ancestors(MART)
    for name in ("etf_flows", "daily_bars", "hourly_bars", "futures_daily", "perp_open_interest",
                 "options_volume", "vol_index_daily"):
        assert dg.AssetKey(["raw", name]) in mart_ancestors, name


def test_every_source_archive_feeds_its_raw_tables():
    for name in sources.names():
        archive_key = dg.AssetKey(["archive", name])
        children = GRAPH.get(archive_key).child_keys
        assert {dg.AssetKey(["raw", d]) for d in sources.get(name).DATASETS} == children, name


def test_raw_tables_are_daily_partitioned_in_new_york_and_carry_a_blocking_check():
    for name in DATASETS:
        node = GRAPH.get(dg.AssetKey(["raw", name]))
        assert node.partitions_def.timezone == "America/New_York"
        checks = [c for c in defs.get_repository_def().asset_checks_defs_by_key
                  if c.asset_key == dg.AssetKey(["raw", name])]
        assert checks, name


def test_every_singular_dbt_test_is_an_asset_check():
    """A singular test that is no check of a model shows in Dagster only as an observation, with a
    warning in every run: each must depend on the model its meta names."""
    from pipelines.assets.dbt import dbt_models
    from pipelines.config import DBT_PROJECT_DIR

    singular = {p.stem for p in (DBT_PROJECT_DIR / "tests" / "singular").glob("*.sql")}
    assert singular
    assert singular <= {k.name for k in dbt_models.check_keys}
