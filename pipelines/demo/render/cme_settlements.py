"""CME settlements as fetched for trade date `day` (trading days only): one JSON page per product
(BTC 8478, MBT 9024) with a row per contract month present, strings with thousands commas,
'-' for the open/high/low/last the canonical data does not hold, and a trailing `Total` row."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pandas as pd

from pipelines.cme_calendar import MONTH_ABBR, parse_contract_code
from pipelines.sources import cme_settlements
from pipelines.sources.base import Fetched
from pipelines.timeutils import is_trading_day, snapshot_instant

PRODUCT_IDS = {prefix: pid for pid, prefix in cme_settlements.PRODUCTS.items()}


def cme_number(value) -> str:
    """`76,415` / `76,412.5` / `-`: thousands commas, no trailing zeros, exact for any float."""
    if value is None or pd.isna(value):
        return "-"
    text = format(Decimal(repr(float(value))), "f")
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{grouped}.{frac}" if frac else f"{sign}{grouped}"


def _row(code: str, settle, volume, open_interest) -> dict:
    _, year, month = parse_contract_code(code)
    return {"month": f"{MONTH_ABBR[month - 1]} {year % 100:02d}", "open": "-", "high": "-", "low": "-",
            "last": "-", "change": "-", "settle": cme_number(settle), "volume": cme_number(volume),
            "openInterest": cme_number(open_interest)}


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    futures = canonical.get("futures_daily")
    if futures is None or futures.empty or not is_trading_day(day):
        return []
    rows = futures[(futures["source"] == cme_settlements.NAME)
                   & (pd.to_datetime(futures["trade_date"]).dt.date == day)]
    out = []
    for prefix, product_id in PRODUCT_IDS.items():
        mine = rows[rows["contract"].map(lambda c: parse_contract_code(c)[0]) == prefix]
        if mine.empty:
            continue
        mine = mine.assign(order=mine["contract"].map(lambda c: parse_contract_code(c)[1:])).sort_values("order")
        settlements = [_row(r.contract, r.settle, r.volume, r.open_interest) for r in mine.itertuples(index=False)]
        total = {"month": "Total", "open": "", "high": "", "low": "", "last": "", "change": "", "settle": "",
                 "volume": cme_number(mine["volume"].sum(min_count=1)),
                 "openInterest": cme_number(mine["open_interest"].sum(min_count=1))}
        body = {"settlements": settlements + [total], "tradeDate": day.strftime("%m/%d/%Y"),
                "updateTime": f"{day.strftime('%A, %d %b %Y')} 05:00 PM CT",
                "empty": False, "reportType": "Final"}
        url = cme_settlements.ENDPOINTS["settlements"].format(product_id=product_id)
        params = {"strategy": "DEFAULT", "tradeDate": day.strftime("%m/%d/%Y"), "pageSize": 500,
                  "isProtected": "", "_t": int(snapshot_instant(day).timestamp() * 1000)}
        data = json.dumps(body, separators=(",", ":")).encode()
        out.append(Fetched(data, "settlements", url, params, "application/json", "json"))
    return out
