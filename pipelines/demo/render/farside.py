"""The Farside flow page as fetched on New York date `day`: the trade dates of the three weeks
before `day` (flows are reported T+1), oldest first, in US$ millions with one decimal, `(x)`
negatives, thousands separators, `-` for no figure, a Total column and the four trailer rows.
Flows must be multiples of US$100,000 (Farside's precision)."""
from __future__ import annotations

import html
from datetime import date, timedelta

import pandas as pd

from pipelines.sources import farside
from pipelines.sources.base import Fetched

WINDOW_DAYS = 21


def _musd(flow_usd) -> float | None:
    if flow_usd is None or pd.isna(flow_usd):
        return None
    return round(float(flow_usd) / 1e6, 1)


def cell(musd: float | None) -> str:
    if musd is None:
        return "-"
    if round(musd, 1) == 0:
        return "0.0"
    text = f"{abs(musd):,.1f}"
    return f"({text})" if musd < 0 else text


def _date_label(d: date) -> str:
    return f"{d.day:02d} {farside.MONTHS[d.month - 1]} {d.year}"


def _fund_order(tickers) -> list[str]:
    known = [t for t in farside.KNOWN_FUNDS if t in tickers]
    return known + sorted(t for t in tickers if t not in farside.KNOWN_FUNDS)


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    flows = canonical.get("etf_flows")
    if flows is None or flows.empty:
        return []
    flows = flows[flows["source"] == farside.NAME].assign(
        trade_date=lambda f: pd.to_datetime(f["trade_date"]).dt.date)
    start = day - timedelta(days=WINDOW_DAYS)
    window = flows[(flows["trade_date"] >= start) & (flows["trade_date"] < day)]
    if window.empty:
        return []
    funds = _fund_order(set(window["ticker"]))
    grid: dict[date, dict[str, float | None]] = {}
    for row in window.itertuples(index=False):
        grid.setdefault(row.trade_date, {})[row.ticker] = _musd(row.flow_usd)

    body_rows = []
    column_values: dict[str, list[float]] = {t: [] for t in funds + ["Total"]}
    for trade_date in sorted(grid):
        values = [grid[trade_date].get(t) for t in funds]
        present = [v for v in values if v is not None]
        total = round(sum(present), 1) if present else 0.0
        for t, v in zip(funds, values):
            if v is not None:
                column_values[t].append(v)
        column_values["Total"].append(total)
        body_rows.append([_date_label(trade_date)] + [cell(v) for v in values] + [cell(total)])

    def stat(values: list[float], how) -> str:
        return cell(round(how(values), 1)) if values else "-"

    cols = funds + ["Total"]
    trailers = [
        ["Total"] + [stat(column_values[c], sum) for c in cols],
        ["Average"] + [stat(column_values[c], lambda v: sum(v) / len(v)) for c in cols],
        ["Maximum"] + [stat(column_values[c], max) for c in cols],
        ["Minimum"] + [stat(column_values[c], min) for c in cols],
    ]

    def tr(cells: list[str], tag: str = "td") -> str:
        inner = "".join(f'<{tag}><span class="tabletext">{html.escape(c)}</span></{tag}>' for c in cells)
        return f"<tr>{inner}</tr>"

    page = "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        "<title>Bitcoin ETF Flow &#8211; All Data (US$m) - Farside Investors</title></head>",
        "<body><h1>Bitcoin ETF Flow &#8211; All Data (US$m)</h1>",
        '<table class="etf">',
        "<thead>" + tr(["Date"] + cols, "th") + "</thead>",
        "<tbody>",
        *[tr(r) for r in body_rows],
        *[tr(r) for r in trailers],
        "</tbody></table>",
        "<p>Source: Farside Investors</p>",
        "</body></html>",
        "",
    ])
    url = farside.ENDPOINTS["all_data"]
    return [Fetched(page.encode("utf-8"), "all_data", url, {}, "text/html; charset=UTF-8", farside.EXT)]
