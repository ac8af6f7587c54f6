"""The CFTC TFF Socrata body as fetched on New York date `day`: the rows of every report released
that day (the Tuesday report on its Friday), one row per market with all numbers as JSON strings,
the floating report timestamp, and null fields left out as Socrata does."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from pipelines.sources import cftc_tff
from pipelines.sources.base import Fetched

MARKET_NAMES = {
    "133741": ("BITCOIN - CHICAGO MERCANTILE EXCHANGE", "BITCOIN"),
    "133742": ("MICRO BITCOIN - CHICAGO MERCANTILE EXCHANGE", "MICRO BITCOIN"),
}


def number_text(value) -> str | None:
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    cot = canonical.get("cot_positions")
    if cot is None or cot.empty:
        return []
    cot = cot[cot["source"] == cftc_tff.NAME].assign(
        report_date=lambda f: pd.to_datetime(f["report_date"]).dt.date,
        market_code=lambda f: f["market_code"].astype(str))
    cot = cot[[cftc_tff.release_date(d) == day for d in cot["report_date"]]]
    if cot.empty:
        return []
    rows = []
    for (report_date, code), group in sorted(cot.groupby(["report_date", "market_code"]), key=lambda g: g[0]):
        names = MARKET_NAMES.get(code, (f"MARKET {code}", f"MARKET {code}"))
        row = {
            "market_and_exchange_names": names[0],
            "contract_market_name": names[1],
            "cftc_contract_market_code": code,
            "commodity_name": "BITCOIN",
            "commodity_subgroup_name": "Other Financial Instruments",
            cftc_tff.DATE_FIELD: f"{report_date.isoformat()}T00:00:00.000",
        }
        oi = group["open_interest"].dropna()
        if not oi.empty:
            row[cftc_tff.OI_FIELD] = number_text(oi.iloc[0])
        by_category = {r.category: r for r in group.itertuples(index=False)}
        for category, (long_field, short_field) in cftc_tff.CATEGORY_FIELDS.items():
            r = by_category.get(category)
            for field, value in ((long_field, r and r.long_contracts), (short_field, r and r.short_contracts)):
                text = number_text(value) if r is not None else None
                if text is not None:
                    row[field] = text
        row["futonly_or_combined"] = "FutOnly"
        rows.append(row)
    start = day - timedelta(days=cftc_tff.LOOKBACK_DAYS)
    params = cftc_tff.query_params(start, day, 0)
    data = json.dumps(rows, indent=1).encode()
    url = cftc_tff.ENDPOINTS["tff_futures_only"]
    return [Fetched(data, "tff_futures_only", url, params, "application/json;charset=utf-8", cftc_tff.EXT)]
