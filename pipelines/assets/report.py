"""The `report` asset: the charts of EVENT.md as PNGs and one self-contained HTML page in
`<warehouse dir>/reports/`, rebuilt after the marts. Not partitioned: it covers a window of trading
days (the last 60 of the data, or around a date) and reads the warehouse read-only."""

import base64
from datetime import date
from pathlib import Path

import dagster as dg

from pipelines.assets.dbt import dbt_models
from pipelines.report import build_report
from pipelines.resources import WarehouseResource

REPORT_KEY = dg.AssetKey("report")


def mart_keys() -> list[dg.AssetKey]:
    """The dbt marts (fct_*) the report reads, as their Dagster keys."""
    return sorted((k for k in dbt_models.keys if k.path[-1].startswith("fct_")), key=lambda k: k.to_user_string())


class ReportConfig(dg.Config):
    around: str = ""  # YYYY-MM-DD: centre the window on this date; empty = the last trading days of the data
    trading_days: int = 60


def thumbnail(png: bytes, width: int = 660) -> bytes:
    """A smaller, palette PNG of a chart for the Dagster UI (the full-size PNGs are on disk): the
    event log keeps every materialization's metadata, so it gets tens of kilobytes, not hundreds."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        small = img.convert("RGB").resize((width, round(img.height * width / img.width)), Image.LANCZOS)
        out = io.BytesIO()
        small.quantize(colors=64).save(out, format="PNG", optimize=True)
    return out.getvalue()


def charts_markdown(report) -> str:
    """Every chart inline (base64 PNG thumbnails), with its banner, units, as-of date and source."""
    parts = [f"**Window:** {report.window.label()}"]
    if report.banner:
        parts.append(f"**{report.banner.text}**")
    for chart in report.charts:
        parts.append(f"### {chart.spec.title}")
        if chart.banner:
            parts.append(f"**{chart.banner.text}**")
        if not chart.has_data:
            parts.append(f"_{chart.data.reason}_")
        parts.append(f"Units: {chart.spec.units} · as of {chart.data.as_of or 'no data'} · source: {chart.data.extra.get('source') or chart.spec.source}")
        parts.append(f"![{chart.spec.title}](data:image/png;base64,{base64.b64encode(thumbnail(chart.png)).decode('ascii')})")
    return "\n\n".join(parts)


@dg.asset(
    key=REPORT_KEY,
    deps=mart_keys(),
    group_name="report",
    kinds={"python", "html"},
    description=(
        "What the analyst sees: the charts of EVENT.md (IBIT dollar volume with its record, IBIT options "
        "puts vs calls, CME basis at front/30/60/90/120 days, open interest by venue at 4 pm ET, ETF flows "
        "beside IBIT's return, rolling correlations with IGV/GLD/QQQ, dealer gamma by strike) as PNGs and "
        "one self-contained HTML page in <warehouse dir>/reports/. Charts built from simulated rows carry "
        "a SIMULATED banner. Reads the marts read-only; `btcflows report [--around DATE]` does the same."
    ),
)
def report(context: dg.AssetExecutionContext, config: ReportConfig, warehouse: WarehouseResource) -> dg.MaterializeResult:
    around = date.fromisoformat(config.around) if config.around else None
    result = build_report(Path(warehouse.warehouse_file), around=around, n_trading_days=config.trading_days)
    missing = [c.spec.slug for c in result.charts if not c.has_data]
    for chart in result.charts:
        if not chart.has_data:
            context.log.warning(f"{chart.spec.slug}: {chart.data.reason}")
    context.log.info(f"report for {result.window.label()} written to {result.html_path}")
    return dg.MaterializeResult(
        metadata={
            "html": dg.MetadataValue.path(str(result.html_path)),
            "window": result.window.label(),
            "data_mode": result.banner.kind if result.banner else "real",
            "charts_with_data": len(result.charts) - len(missing),
            "charts_without_data": ", ".join(missing) or "none",
            **{f"png/{c.spec.slug}": dg.MetadataValue.path(str(c.path)) for c in result.charts},
            "charts": dg.MetadataValue.md(charts_markdown(result)),
        }
    )
