"""One asset per source: the payloads archived for a partition window. In live mode it fetches
(and archives every response before anything parses it; a failed fetch's responses are archived
too, marked failed, for diagnosis); in demo mode it renders the simulator's payloads; in replay and
files mode it only reports what the archive holds (`btcflows import` archives its files under
`canonical-csv` from the raw assets, pipelines/imports.py)."""

import re
from datetime import date, datetime

import dagster as dg
import httpx

from pipelines import sources
from pipelines.archive import PayloadMeta, utc_now_iso
from pipelines.resources import IngestSettings, WarehouseResource
from pipelines.run_window import run_window
from pipelines.timeutils import NEW_YORK, calendar_days


def fetch_live(source_name: str, archive, days: list[date], log) -> int:
    """Fetch and archive each day's payloads. A day whose fetch fails has every response it got
    archived as a failed fetch (error pages included), then the error is raised."""
    module = sources.get(source_name)
    today = datetime.now(NEW_YORK).date()
    written = 0
    with sources.client_for(source_name) as client:
        for day in days:
            if getattr(module, "LIVE_STATE_ONLY", False) and day != today:
                log.warning(f"{source_name} serves only its current state: partition {day} cannot be fetched "
                            "now (its daily schedule snapshots it on the day)")
                continue
            client.responses.clear()
            try:
                fetched = module.fetch(client, day)
            except Exception as exc:
                kept = archive_failed_fetch(archive, module, day, client.responses, exc)
                log.error(f"{source_name}: the fetch for {day} failed; {kept} response(s) archived as a failed "
                          "fetch (`btcflows archive --bad` lists them)")
                raise
            for f in fetched:
                meta = PayloadMeta(source=source_name, endpoint=f.endpoint, url=f.url, params=f.params,
                                   partition=day.isoformat(), content_type=f.content_type, mode="live",
                                   fetched_at=utc_now_iso())
                archive.write(f.data, meta, f.ext)
                written += 1
    return written


def archive_failed_fetch(archive, module, day: date, responses: list[httpx.Response], error: Exception) -> int:
    """Archive every response of a failed fetch, marked failed with the error; the number kept."""
    fetched_at = utc_now_iso()
    for resp in responses:
        url = resp.request.url
        meta = PayloadMeta(source=module.NAME, endpoint=endpoint_of(module, url), url=str(url.copy_with(query=None)),
                           params=dict(url.params), fetched_at=fetched_at, partition=day.isoformat(),
                           content_type=resp.headers.get("content-type", ""), mode="live", fetch_ok=False,
                           fetch_error=str(error) or type(error).__name__, http_status=resp.status_code)
        archive.write(resp.content, meta, extension_of(resp))
    return len(responses)


def endpoint_of(module, url: httpx.URL) -> str:
    """The name of the source's endpoint (its ENDPOINTS key) that `url` was a request to, or ''."""
    bare = str(url.copy_with(query=None))
    for name, template in getattr(module, "ENDPOINTS", {}).items():
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template))  # {product_id} -> one path segment
        if re.fullmatch(pattern, bare):
            return name
    return ""


def extension_of(resp: httpx.Response) -> str:
    """A file extension for a response body, from its content type, else from its first byte."""
    kind = resp.headers.get("content-type", "").lower()
    for marker, ext in (("html", "html"), ("json", "json"), ("csv", "csv"), ("zip", "zip"), ("xml", "xml")):
        if marker in kind:
            return ext
    head = resp.content.lstrip()[:1]
    return {b"<": "html", b"{": "json", b"[": "json"}.get(head, "txt")


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
        start, end = run_window(context)
        days = calendar_days(start, end)
        archive = warehouse.archive
        written = None
        if ingest.mode == "live" and not getattr(module, "IMPORTED", False):
            written = fetch_live(source_name, archive, days, context.log)
        elif ingest.mode == "demo":
            written = render_demo(source_name, archive, days, ingest)
        held = archive.list(source_name, start, end, include_failed=True)
        failed = sum(p.failed_fetch for p in held)
        context.log.info(f"{source_name}: {len(held) - failed} payload(s) archived for {start}..{end}"
                         + (f", and {failed} response(s) of failed fetches" if failed else ""))
        return dg.MaterializeResult(
            metadata={
                "payloads_in_window": len(held) - failed,
                "failed_fetch_responses_in_window": failed,
                "payloads_written": -1 if written is None else written,
                "mode": ingest.mode,
                "archive": dg.MetadataValue.path(str(archive.root / source_name)),
            }
        )

    return _archive


def archive_assets() -> list[dg.AssetsDefinition]:
    return [build_archive_asset(name) for name in sources.names()]
