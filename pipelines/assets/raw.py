"""One asset per canonical dataset: raw.<dataset> in DuckDB, daily partitions (New York), each
window written in one transaction (delete + insert; re-running changes nothing). A run writes its
window: a partition, a partition range, or a bulk window (pipelines/run_window.py). In files mode
(`btcflows import`) each asset imports its dataset's file (pipelines/imports.py)."""

from pathlib import Path

import dagster as dg

from pipelines import sources
from pipelines.datasets import DATASETS
from pipelines.ingest import collect_from_archive
from pipelines.lake import publish_window
from pipelines.partitions import daily_partitions
from pipelines.resources import GreatExpectationsWorker, IngestSettings, WarehouseResource
from pipelines.run_window import run_window
from pipelines.runs.instance import DUCKDB_POOL


def build_raw_asset(dataset: str) -> dg.AssetsDefinition:
    ds = DATASETS[dataset]
    feeding = sources.sources_for(dataset)

    @dg.asset(
        key=["raw", dataset],
        deps=[dg.AssetKey(["archive", name]) for name in feeding],
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
        group_name="raw",
        kinds={"duckdb"},
        description=f"{ds.description} Key: {', '.join(ds.key)}.",
        metadata={
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(c.name, c.kind, description=c.unit or None) for c in ds.columns]
            ),
            "key": ", ".join(ds.key),
        },
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource, ingest: IngestSettings,
             great_expectations: GreatExpectationsWorker):
        start, end = run_window(context)
        wh = warehouse.warehouse
        if ingest.mode == "files":
            from pipelines.imports import import_dataset

            imported = import_dataset(wh, warehouse.archive, Path(ingest.files_dir), dataset, replace=ingest.replace,
                                      import_id=context.run_id, funds=ingest.funds, allow_mixed=ingest.allow_mixed,
                                      log=context.log.info)
            if imported is None:
                context.log.info(f"no {dataset}.csv in {ingest.files_dir}: raw.{dataset} left as it was")
                return dg.MaterializeResult(metadata={"rows_in_window": 0, "file": "absent"})
            context.log.info(imported.describe())
            materialized = dg.MaterializeResult(metadata={
                "rows_in_file": imported.rows,
                "file_window": f"{imported.first}..{imported.last}",
                "replace": imported.replace,
                "rows_replaced": imported.written.deleted,
                "unchanged": imported.written.unchanged,
                "archived_as": dg.MetadataValue.path(str(imported.payload)),
            })
        else:
            collected = collect_from_archive(warehouse.archive, dataset, start, end)
            rows = collected.rows
            with wh.writer() as con:
                result = wh.write_window(con, dataset, rows, start, end, allow_mixed=ingest.allow_mixed)
                publish_window(con, dataset, start, end, log=context.log.info)  # the lake, when BTCFLOWS_LAKE is set
            context.log.info(
                f"raw.{dataset} {start}..{end}: {result.rows_in_window} rows"
                + (" (unchanged)" if result.unchanged else f", replaced {result.deleted}")
            )
            materialized = dg.MaterializeResult(
                metadata={
                    "window": f"{start}..{end}",
                    "rows_in_window": result.rows_in_window,
                    "rows_replaced": result.deleted,
                    "unchanged": result.unchanged,
                    "non_trading_day_rows": int((~rows["_is_trading_day"].astype(bool)).sum()) if len(rows) else 0,
                    "rows_by_source": dg.MetadataValue.json(collected.per_source),
                    "modes": ", ".join(sorted(rows["_mode"].dropna().unique())) if len(rows) else "",
                }
            )
        great_expectations.validate_ahead(wh, dataset, start, end)  # on the other core, while the run goes on
        return materialized

    return _raw


def raw_assets() -> list[dg.AssetsDefinition]:
    return [build_raw_asset(name) for name in DATASETS]


reference_tables = [
    dg.AssetSpec(
        key=["raw", "nyse_calendar"],
        group_name="raw",
        kinds={"duckdb"},
        description="NYSE (XNYS) sessions from exchange_calendars with each day's 16:00 New York instant "
        "in UTC. Written with the warehouse schema.",
    ),
    dg.AssetSpec(
        key=["raw", "cme_expiries"],
        group_name="raw",
        kinds={"duckdb"},
        description="CME bitcoin contract months and last trading days (last Friday, or the UK+US "
        "business day before). Written with the warehouse schema.",
    ),
]
