"""OCC volume-query CSV for IBIT as fetched for trade date `day`. Each canonical put/call count is
split over a few exchanges and written once per clearing side (a customer row and an equal
market-maker row), so halving the sum gives it back; CRLF lines, each data row ending in a comma.
A non-trading day, or a day without rows, gives the "No record(s) found" body."""
from __future__ import annotations

from datetime import date

import pandas as pd

from pipelines.sources import occ_volume
from pipelines.sources.base import Fetched
from pipelines.timeutils import is_trading_day

EXCHANGE_SHARES = (("CBOE", 4), ("ISE", 3), ("PHLX", 2), ("AMEX", 1))  # tenths of the volume


def _split(contracts: float) -> list[tuple[str, int, int]]:
    """(exchange, customer-side quantity, market-maker-side quantity) adding up to 2 x contracts."""
    both_sides = round(contracts * 2)
    if abs(both_sides - contracts * 2) > 1e-9:
        raise ValueError(f"occ-volume: {contracts} contracts is not a whole number of clearing-side rows")
    per_side, odd = divmod(both_sides, 2)
    rows, left = [], per_side
    for i, (exchange, tenths) in enumerate(EXCHANGE_SHARES):
        qty = left if i == len(EXCHANGE_SHARES) - 1 else per_side * tenths // 10
        left -= qty
        extra = odd if i == 0 else 0  # a half contract: one side one higher
        if qty or extra:
            rows.append((exchange, qty + extra, qty))
    return rows or [(EXCHANGE_SHARES[0][0], 0, 0)]  # a reported zero stays a zero, not a gap


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    params = occ_volume.request_params(day)
    url = occ_volume.ENDPOINTS["volume-query"]
    frame = canonical.get("options_volume")
    rows = pd.DataFrame()
    if frame is not None and not frame.empty and is_trading_day(day):
        rows = frame[(frame["source"] == occ_volume.NAME) & (frame["underlying"] == occ_volume.UNDERLYING)
                     & (pd.to_datetime(frame["trade_date"]).dt.date == day)]
    if rows.empty:
        return [Fetched(occ_volume.NO_RECORDS.encode(), "volume-query", url, params, "text/plain", "csv")]
    lines = [",".join(occ_volume.HEADER)]
    actdate = day.strftime("%m/%d/%Y")
    for put_call in ("C", "P"):
        for contracts in rows.loc[rows["put_call"] == put_call, "contracts"]:
            for exchange, customer_qty, maker_qty in _split(float(contracts)):
                for actype, qty in (("C", customer_qty), ("M", maker_qty)):
                    lines.append(f"{qty},{occ_volume.UNDERLYING},{occ_volume.UNDERLYING},{actype},{put_call},"
                                 f"{exchange},{actdate},")
    data = ("\r\n".join(lines) + "\r\n").encode()
    return [Fetched(data, "volume-query", url, params, "text/csv", "csv")]
