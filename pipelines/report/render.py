"""The report: every chart of EVENT.md as a PNG, and one self-contained HTML page (images inlined as
base64, inline CSS, no scripts, no external URLs) in `<warehouse dir>/reports/`.

Reads the marts through `Warehouse.reader()` only (read-only)."""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from pipelines.report import charts, data
from pipelines.report.banner import Banner, banner_for
from pipelines.report.charts import ChartSpec
from pipelines.report.data import ChartData, Window
from pipelines.warehouse import Warehouse

SPECS: tuple[ChartSpec, ...] = (
    ChartSpec(
        slug="ibit_dollar_volume",
        title="IBIT daily dollar volume, record marked",
        units="US$ billion traded per day (close × shares)",
        source="marts.fct_daily_snapshot_4pm_et (ibit_dollar_volume) ← raw.daily_bars (yahoo, stooq)",
        event_link="1. Volume without exodus (record US$10 bn+ day)",
        load=data.load_ibit_dollar_volume, draw=charts.draw_ibit_dollar_volume),
    ChartSpec(
        slug="ibit_options_puts_calls",
        title="IBIT options volume: puts vs calls",
        units="million contracts per day",
        source="marts.fct_options_activity (or fct_daily_snapshot_4pm_et) ← raw.options_volume (occ-volume)",
        event_link="4. Options fuel (record contracts, puts dominating)",
        load=data.load_ibit_options, draw=charts.draw_ibit_options),
    ChartSpec(
        slug="cme_basis_term",
        title="CME bitcoin basis: front and 30/60/90/120-day constant maturity",
        units="annualized basis, % a year, at 4 pm ET",
        source="marts.fct_cme_basis ← raw.futures_daily (cme-settlements, yahoo BTC=F), raw.hourly_bars (coinbase, binance-klines), raw.cme_expiries",
        event_link="3. Hedged positions were unwound (basis 3.3% → 9%)",
        load=data.load_cme_basis, draw=charts.draw_cme_basis),
    ChartSpec(
        slug="open_interest_by_venue",
        title="Bitcoin futures open interest by venue at 4 pm ET",
        units="US$ billion of open interest",
        source="marts.fct_open_interest_4pm_et ← raw.futures_daily (cme-settlements), raw.perp_open_interest (binance-oi), raw.hourly_bars",
        event_link="5. Who bought the dip (CME rebuilt, Binance did not)",
        load=data.load_open_interest, draw=charts.draw_open_interest),
    ChartSpec(
        slug="etf_flows_vs_ibit_return",
        title="US spot bitcoin ETF net flows beside IBIT's return",
        units="US$ million per day (bars), % return (line)",
        source="marts.fct_daily_snapshot_4pm_et, marts.fct_etf_flows ← raw.etf_flows (farside), raw.etf_fund_daily (ishares), raw.daily_bars (yahoo, stooq)",
        event_link="1. Volume without exodus (net creations, not redemptions)",
        load=data.load_flows_vs_return, draw=charts.draw_flows_vs_return),
    ChartSpec(
        slug="rolling_correlations",
        title="IBIT's rolling correlation with software (IGV), gold (GLD) and the Nasdaq 100 (QQQ)",
        units="20-trading-day correlation of daily returns (−1 to 1)",
        source="marts.fct_cross_asset ← raw.daily_bars (yahoo, stooq)",
        event_link="2. Not a crypto story at first",
        load=data.load_correlations, draw=charts.draw_correlations),
    ChartSpec(
        slug="dealer_gamma_by_strike",
        title="Dealer gamma by strike, latest option-chain snapshot",
        units="US$ million to hedge per 1% BTC move, summed over expiries; strikes in US$ per BTC",
        source="marts.fct_dealer_gamma ← raw.option_chain_snapshot (deribit-options)",
        event_link="4. Options fuel (dealers short gamma, 64k–71k)",
        load=data.load_dealer_gamma, draw=charts.draw_dealer_gamma),
    ChartSpec(
        slug="note_barriers",
        title="IBIT's close and the barriers of IBIT-linked structured notes",
        units="US$ per IBIT share; each band a note's principal barrier while outstanding, thickness ∝ principal",
        source="marts.fct_note_barriers, marts.fct_note_barriers_daily ← raw.structured_notes (sec-edgar), "
               "raw.daily_bars (yahoo, stooq), raw.etf_fund_daily (ishares)",
        event_link="4. Options fuel (note knock-in barriers at 43.6 and 38–39)",
        load=data.load_note_barriers, draw=charts.draw_note_barriers),
)


BESIDE_SLUG = "dealer_gamma_beside"


def beside_spec(other: Path) -> ChartSpec:
    """The dealer-gamma profile beside another warehouse's (`btcflows report --beside PATH`)."""
    return ChartSpec(
        slug=BESIDE_SLUG,
        title=f"Dealer gamma by strike: this warehouse's latest snapshot beside {Path(other).name}'s",
        units="US$ million to hedge per 1% BTC move, summed over expiries; strikes in US$ per BTC",
        source=f"marts.fct_dealer_gamma of this warehouse and of {other} ← raw.option_chain_snapshot",
        event_link="4. Options fuel (dealers short gamma, 64k–71k)",
        load=partial(data.load_dealer_gamma_beside, other=Path(other)), draw=charts.draw_dealer_gamma_beside)


@dataclass
class RenderedChart:
    spec: ChartSpec
    data: ChartData
    banner: Banner | None
    png: bytes
    path: Path

    @property
    def has_data(self) -> bool:
        return not self.data.empty


@dataclass
class Report:
    window: Window
    charts: list[RenderedChart]
    banner: Banner | None
    html_path: Path
    html: str


def load_chart_data(con, spec: ChartSpec, window: Window) -> ChartData:
    loaded = spec.load(con, window)
    if spec.slug in ("dealer_gamma_by_strike", BESIDE_SLUG) and not loaded.empty:
        loaded.notes.append(f"sign convention: {loaded.extra['convention']}")
    return loaded


def build_report(warehouse_path: Path, out_dir: Path | None = None, around: date | None = None,
                 n_trading_days: int = data.DEFAULT_TRADING_DAYS, specs: tuple[ChartSpec, ...] = SPECS,
                 beside: Path | None = None) -> Report:
    """Render every chart and the HTML page; returns what was written. `beside`: another warehouse
    whose dealer-gamma profile is drawn beside this one's (each labelled with its own data mode; the
    page's banner is this warehouse's)."""
    warehouse = Warehouse(Path(warehouse_path))
    if beside is not None:
        specs = (*specs, beside_spec(beside))
    out_dir = Path(out_dir) if out_dir else warehouse.path.parent / "reports"
    with warehouse.reader() as con:
        window = data.resolve_window(con, around, n_trading_days)
        loaded = [(spec, load_chart_data(con, spec, window)) for spec in specs]
    out_dir.mkdir(parents=True, exist_ok=True)
    rendered = []
    for spec, chart_data in loaded:
        banner = banner_for(chart_data.modes)
        png = charts.render_png(spec, chart_data, window, banner)
        path = out_dir / f"{spec.slug}.png"
        path.write_bytes(png)
        rendered.append(RenderedChart(spec, chart_data, banner, png, path))
    page_banner = banner_for([m for spec, d in loaded if spec.slug != BESIDE_SLUG for m in d.modes])
    page = render_html(window, rendered, page_banner, warehouse.path.name)
    html_path = out_dir / "report.html"
    html_path.write_text(page, encoding="utf-8")
    return Report(window, rendered, page_banner, html_path, page)


# -- HTML --------------------------------------------------------------------------------------
CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 24px auto; max-width: 1180px; color: #1c2833; }
h1 { font-size: 24px; margin-bottom: 4px; }
.meta { color: #555; font-size: 14px; margin-bottom: 16px; }
.banner { color: #fff; font-weight: bold; font-size: 20px; padding: 12px 16px; margin: 12px 0; text-align: center; }
.banner.simulated { background: #b00020; }
.banner.mixed { background: #b35900; }
.chart-banner { font-size: 14px; padding: 6px 10px; }
figure.chart { margin: 28px 0; padding: 0 0 12px 0; border-bottom: 1px solid #ddd; }
figure.chart h2 { font-size: 18px; margin: 8px 0; }
figure.chart img { width: 100%; max-width: 1100px; height: auto; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #333; line-height: 1.5; }
.nodata { background: #f4f6f7; border: 1px solid #aab7b8; padding: 8px 12px; font-weight: bold; }
ol.toc { font-size: 14px; }
"""


def _banner_html(banner: Banner | None, extra_class: str = "") -> str:
    if banner is None:
        return ""
    return f'<div class="banner {banner.kind} {extra_class}" role="alert">{html.escape(banner.text)}</div>'


def render_html(window: Window, rendered: list[RenderedChart], page_banner: Banner | None, warehouse_name: str) -> str:
    esc = html.escape
    toc = "\n".join(f'<li><a href="#{c.spec.slug}">{esc(c.spec.title)}</a>'
                    f'{"" if c.has_data else " — no data"}</li>' for c in rendered)
    sections = []
    for c in rendered:
        img = base64.b64encode(c.png).decode("ascii")
        caption = [
            f"<b>Units:</b> {esc(c.spec.units)}",
            f"<b>As of:</b> {esc(c.data.as_of or 'no data')}",
            f"<b>Source:</b> {esc(c.data.extra.get('source') or c.spec.source)}",
            f"<b>Backs EVENT.md:</b> {esc(c.spec.event_link)}",
            *[esc(n) for n in c.data.notes],
        ]
        nodata = "" if c.has_data else f'<p class="nodata">{esc(c.data.reason or "no data for this chart")}</p>'
        sections.append(
            f'<figure class="chart" id="{c.spec.slug}" data-chart="{c.spec.slug}" data-has-data="{str(c.has_data).lower()}" '
            f'data-banner="{c.banner.kind if c.banner else "none"}">\n'
            f"<h2>{esc(c.spec.title)}</h2>\n"
            # the page banner already says it; a chart only repeats a banner that differs from the page's
            f"{_banner_html(c.banner if c.banner != page_banner else None, 'chart-banner')}\n{nodata}\n"
            f'<img src="data:image/png;base64,{img}" alt="{esc(c.spec.title)}" width="1100" height="600">\n'
            f"<figcaption>{'<br>'.join(caption)}</figcaption>\n</figure>"
        )
    mode = page_banner.kind if page_banner else "real"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>btcflows report — {esc(window.label())}</title>
<style>{CSS}</style>
</head>
<body>
<h1>btcflows — what the analyst sees</h1>
<p class="meta">Window: {esc(window.label())} (NYSE trading days) · everything at 4:00 pm New York time ·
warehouse {esc(warehouse_name)} · data mode: {esc(mode)}</p>
{_banner_html(page_banner)}
<ol class="toc">
{toc}
</ol>
{chr(10).join(sections)}
<p class="meta">Every figure is rebuilt from the marts; the marts from the raw payloads in the archive.
Charts show the rows of the marts named under each chart, for the window above.</p>
</body>
</html>
"""
