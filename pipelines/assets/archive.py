"""One asset per source: the payloads archived for a partition window. In live mode it fetches
(and archives every response before anything parses it); in demo mode it renders the simulator's
payloads; in replay and files mode it only reports what the archive holds (`btcflows import` archives its files
under `canonical-csv` from the raw assets, pipelines/imports.py)."""

from datetime import date, datetime

import dagster as dg

from pipelines import sources
from pipelines.archive import PayloadMeta, utc_now_iso
from pipelines.automation import partition_window
from pipelines.resources import IngestSettings, WarehouseResource
from pipelines.sources.http import HttpClient
from pipelines.timeutils import NEW_YORK, calendar_days


def fetch_live(source_name: str, archive, days: list[date], log) -> int:
    module = sources.get(source_name)
    today = datetime.now(NEW_YORK).date()
    written = 0
    with HttpClient(source_name, rate_per_second=getattr(module, "RATE_PER_SECOND", 1.0)) as client:
        for day in days:
            if getattr(module, "LIVE_STATE_ONLY", False) and day != today:
                log.warning(f"{source_name} serves only its current state: partition {day} cannot be fetched "
                            "now (its daily schedule snapshots it on the day)")
                continue
            for f in module.fetch(client, day):
                meta = PayloadMeta(source=source_name, endpoint=f.endpoint, url=f.url, params=f.params,
                                   partition=day.isoformat(), content_type=f.content_type, mode="live",
                                   fetched_at=utc_now_iso())
                archive.write(f.data, meta, f.ext)
                written += 1
    return written


def render_demo(source_name: str, archive, days: list[date], settings: IngestSettings) -> int | None:
    """Write the simulator's payloads for `days`; None when the demo does not simulate this source."""
    from pipelines.demo.cached import cached_scenario
    from pipelines.demo.simulate import DEMO_SOURCES, write_source_payloads

    if source_name not in DEMO_SOURCES:
        return None
    start, end, crash = settings.demo_window
    canonical = cached_scenario(settings.demo_seed, start, end, crash).canonical
    first, last = settings.demo_run_window
    return write_source_payloads(archive, canonical, source_name, [d for d in days if first <= d <= last])


def build_archive_asset(source_name: str) -> dg.AssetsDefinition:
    module = sources.get(source_name)

    @dg.asset(
        key=["archive", source_name],
        group_name="archive",
        kinds={"file"},
        description=(module.__doc__ or source_name).strip().splitlines()[0],
        metadata={"datasets": ", ".join(module.DATASETS), "snapshot_only": bool(getattr(module, "SNAPSHOT", False))},
    )
    def _archive(context: dg.AssetExecutionContext, warehouse: WarehouseResource, ingest: IngestSettings):
        start, end = partition_window(context)
        days = calendar_days(start, end)
        archive = warehouse.archive
        written = None
        if ingest.mode == "live" and not getattr(module, "IMPORTED", False):
            written = fetch_live(source_name, archive, days, context.log)
        elif ingest.mode == "demo":
            written = render_demo(source_name, archive, days, ingest)
        held = archive.list(source_name, start, end)
        context.log.info(f"{source_name}: {len(held)} payload(s) archived for {start}..{end}")
        return dg.MaterializeResult(
            metadata={
                "payloads_in_window": len(held),
                "payloads_written": -1 if written is None else written,
                "mode": ingest.mode,
                "archive": dg.MetadataValue.path(str(archive.root / source_name)),
            }
        )

    return _archive


def archive_assets() -> list[dg.AssetsDefinition]:
    return [build_archive_asset(name) for name in sources.names()]
