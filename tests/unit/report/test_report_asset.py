"""The `report` asset: materializes from a warehouse read-only, attaches the charts as metadata, and
runs in the same run as partitioned upstream assets over a partition range (as `btcflows demo` does)."""
import dagster as dg

from pipelines.assets.report import REPORT_KEY, mart_keys, report
from pipelines.partitions import daily_partitions
from pipelines.report.render import SPECS
from pipelines.resources import WarehouseResource

from .marts import all_marts


def _resources(path):
    return {"warehouse": WarehouseResource(warehouse_path=str(path), archive_path=str(path.parent / "archive"))}


def _report_metadata(result) -> dict:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == REPORT_KEY]
    return event.materialization.metadata


def test_the_report_asset_depends_on_every_mart():
    names = {k.path[-1] for k in mart_keys()}
    assert {"fct_daily_snapshot_4pm_et", "fct_cme_basis", "fct_options_activity"} <= names
    assert all(n.startswith("fct_") for n in names)
    assert report.partitions_def is None


def test_the_report_asset_writes_the_report_and_shows_the_charts(marts_warehouse):
    path = marts_warehouse(all_marts("simulated"))
    result = dg.materialize([report], resources=_resources(path),
                            run_config={"ops": {"report": {"config": {"around": "2026-02-05"}}}})
    assert result.success
    meta = _report_metadata(result)
    assert meta["data_mode"].value == "simulated"
    assert meta["charts_with_data"].value == len(SPECS) and meta["charts_without_data"].value == "none"
    assert (path.parent / "reports" / "report.html").is_file()
    markdown = meta["charts"].value
    assert markdown.count("](data:image/png;base64,") == len(SPECS)
    assert "SIMULATED DATA — not market data" in markdown
    assert len(markdown) < 400_000  # thumbnails, not the full-size PNGs, go to the event log


def test_the_report_runs_in_the_same_run_as_partitioned_upstream_assets(marts_warehouse):
    path = marts_warehouse(all_marts("real"))
    seen = []

    @dg.asset(key=["marts", "fct_daily_snapshot_4pm_et"], partitions_def=daily_partitions,
              backfill_policy=dg.BackfillPolicy.single_run())
    def upstream(context: dg.AssetExecutionContext) -> None:
        seen.append((context.partition_key_range.start, context.partition_key_range.end))

    tags = {"dagster/asset_partition_range_start": "2026-02-02", "dagster/asset_partition_range_end": "2026-02-06"}
    result = dg.materialize([upstream, report], resources=_resources(path), tags=tags)
    assert result.success
    assert seen == [("2026-02-02", "2026-02-06")]
    assert _report_metadata(result)["data_mode"].value == "real"
