"""The IBIT holdings CSV as fetched with `asOfDate` = New York date `day` (trading days only):
the preamble with `Fund Holdings as of` and `Shares Outstanding`, a blank line, the holdings table
(a BTC row whose Quantity is the bitcoin held and a small USD cash row, Market Values adding up to
NAV x shares outstanding, so the parser's derived NAV gives the NAV back), then the disclaimer."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pandas as pd

from pipelines.sources import ishares
from pipelines.sources.base import Fetched
from pipelines.timeutils import is_trading_day

CASH_FRACTION = 1e-5  # a sliver of cash beside the bitcoin, as in the real file
CENTS_EXACT_ABOVE_USD = 1e8  # above this, rounding market values to cents moves NAV < 1e-10 relative
HEADER = ["Ticker", "Name", "Sector", "Asset Class", "Market Value", "Weight (%)", "Notional Value",
          "Quantity", "Price", "Location", "Exchange", "Currency", "FX Rate", "Market Currency", "Accrual Date"]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def number(value, min_decimals: int = 2) -> str:
    """Full precision (shortest round-trip repr), thousands commas, at least `min_decimals`."""
    if value is None or pd.isna(value):
        return "-"
    text = format(Decimal(repr(float(value))), "f")
    whole, _, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    frac = (frac.rstrip("0") if frac.strip("0") else "").ljust(min_decimals, "0")
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def _us_date(d: date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day:02d}, {d.year}"


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    fund = canonical.get("etf_fund_daily")
    if fund is None or fund.empty or not is_trading_day(day):
        return []
    fund = fund[(fund["source"] == ishares.NAME) & (fund["ticker"] == ishares.TICKER)]
    fund = fund[pd.to_datetime(fund["trade_date"]).dt.date == day]
    if fund.empty:
        return []
    row = fund.iloc[0]
    shares, nav, btc = (None if pd.isna(row[c]) else float(row[c]) for c in ("shares_outstanding", "nav_usd", "btc_held"))
    total = nav * shares if nav is not None and shares else None
    cash = round(total * CASH_FRACTION, 2) if total is not None else None
    btc_value = total - cash if total is not None else None
    if btc_value is not None and total >= CENTS_EXACT_ABOVE_USD:
        btc_value = round(btc_value, 2)  # iShares prints cents; the NAV error stays below 1e-9

    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    out.write("iShares Bitcoin Trust ETF\n")
    out.write(f'Fund Holdings as of,"{_us_date(day)}"\n')
    out.write('Inception Date,"Jan 05, 2024"\n')
    out.write(f'Shares Outstanding,"{number(shares)}"\n')
    for label in ("Stock", "Bond", "Cash", "Other"):
        out.write(f'{label},"-"\n')
    out.write("\xa0\n")
    w.writerow(HEADER)

    def q(x):  # iShares quotes every number
        return f'"{x}"'

    def weight(part):
        return "-" if part is None or not total else f"{100 * part / total:.2f}"

    price = btc_value / btc if btc_value is not None and btc else None
    out.write(",".join([q("BTC"), q("BITCOIN"), q("-"), q("Alternative"), q(number(btc_value)), q(weight(btc_value)),
                        q(number(btc_value)), q(number(btc, 5)), q("-" if price is None else f"{price:,.2f}"),
                        q("-"), q("-"), q("USD"), q("1.00"), q("USD"), q("-")]) + "\n")
    out.write(",".join([q("USD"), q("USD CASH"), q("Cash and/or Derivatives"), q("Cash"), q(number(cash)),
                        q(weight(cash)), q(number(cash)), q(number(cash)), q("100.00"), q("United States"), q("-"),
                        q("USD"), q("1.00"), q("USD"), q("-")]) + "\n")
    out.write("\xa0\n")
    out.write('"The content contained herein is owned or licensed by BlackRock and/or its third-party '
              'information providers and is protected by applicable copyrights, trademarks, service marks, '
              'and/or other intellectual property rights."\n')
    params = ishares.csv_params(day)
    return [Fetched(out.getvalue().encode("utf-8-sig"), "holdings_csv", ishares.ENDPOINTS["holdings_csv"], params,
                    "text/csv; charset=utf-8", "csv")]
