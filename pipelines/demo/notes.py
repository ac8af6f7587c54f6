"""The demo's structured notes on IBIT: the canonical `structured_notes` rows of every filing.

A small population of notes from three issuers (JPMorgan, Morgan Stanley, Goldman Sachs), priced
on the demo's IBIT closes. Each note is filed twice: a preliminary pricing supplement five trading
days before its pricing date (levels as a percentage of an initial value still blank, no
principal; Goldman's without CUSIP) and a final one a trading day after it (two for Goldman), with
the initial value and the aggregate principal. One preliminary is never followed by a final (the
note did not price).

Planted (EVENT.md, link 4): the principal barriers cluster just above the crash-day close. The
November Morgan Stanley note (US$104 m, the size reported for Morgan Stanley's IBIT notes then)
sits ~21% above it (the article's US$43.6 against IBIT's US$36.1 close), the later notes 5-8%
above it (the article's US$38-39). Each note's pricing day is picked within a few trading days of
its planned date, and its barrier from the issuers' usual grid (50%..90% of the initial value in
5% steps), so that the barrier lands nearest its target. An October note with a monthly autocall
at 100% shows a called note when IBIT closes above its initial value on a call date.

Levels are what the filings print: 4 decimals in US$ (Goldman's finals in US$ only, JPMorgan's
buffer and review notes in % only), fractions exact to 10 decimals, so the rendered supplements
parse back to these rows exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipelines.sources.base import frame
from pipelines.sources.note_terms import cusip_check_digit, isin_for_cusip
from pipelines.sources.sec_edgar import DATASET, NAME, document_url
from pipelines.timeutils import CALENDAR_END, trading_days

BARRIER_GRID = tuple(round(0.50 + 0.05 * i, 2) for i in range(9))  # 50% .. 90% of the initial value
PRICING_SEARCH_DAYS = 4  # a note may price up to this many trading days either side of its plan
PRELIM_LEAD_DAYS = 5  # trading days from the preliminary supplement to pricing


@dataclass(frozen=True)
class Issuer:
    key: str
    name: str  # as the "Issuer:" term prints it
    cik: int
    filer_agent: str  # the accession prefix (the filing agent's CIK)
    cusip_prefix: str
    display_name: str  # EFTS display_names
    final_lag_days: int  # trading days from pricing to the final supplement
    file_pattern: str


ISSUERS = {
    "jpm": Issuer("jpm", "JPMorgan Chase Financial Company LLC", 1665650, "0001213900", "48136H",
                  "JPMorgan Chase Financial Co. LLC  (CIK 0001665650)", 1, "ea{n:07d}-01_424b2.htm"),
    "ms": Issuer("ms", "Morgan Stanley Finance LLC", 895421, "0001950047", "61778N",
                 "MORGAN STANLEY  (MS)  (CIK 0000895421)", 1, "dp{n:06d}_424b2-ps.htm"),
    "gs": Issuer("gs", "GS Finance Corp.", 886982, "0001193125", "40058J",
                 "GOLDMAN SACHS GROUP INC  (GS)  (CIK 0000886982)", 2, "d{n:06d}d424b2.htm"),
}


@dataclass(frozen=True)
class NotePlan:
    """One note of the population. `target_x_crash`: the principal barrier as a multiple of the
    crash-day close (None: `fraction` is fixed). Layout keys: see pipelines/demo/render/sec_edgar.py."""

    key: str
    issuer: str
    layout: str
    product: str
    offset: int  # planned pricing day, in trading days from the crash day
    principal_usd: float
    principal_kind: str  # knock_in | buffer
    tenor_months: int
    target_x_crash: float | None = None
    fraction: float | None = None
    coupon: bool = False  # a coupon barrier at the principal barrier's level
    call_every_months: int = 0  # 0: no autocall
    call_from_months: int = 0
    daily: bool = False
    priced: bool = True


PLANS = (
    NotePlan("ms-trigger-plus", "ms", "ms", "Dual Directional Autocallable Trigger PLUS", -57, 104_000_000.0,
             "knock_in", 24, target_x_crash=1.21, call_every_months=12, call_from_months=12),
    NotePlan("jpm-accin-nov", "jpm", "jpm_accin", "Auto Callable Contingent Interest Notes", -48, 12_350_000.0,
             "knock_in", 48, target_x_crash=1.08, coupon=True, call_every_months=3, call_from_months=3),
    NotePlan("gs-autocall-dec", "gs", "gs", "Autocallable Contingent Coupon ETF-Linked Notes", -40, 5_574_000.0,
             "knock_in", 24, target_x_crash=1.06, coupon=True, call_every_months=1, call_from_months=6, daily=True),
    NotePlan("jpm-digital-dec", "jpm", "jpm_digital", "Digital Contingent Buffered Notes", -33, 8_200_000.0,
             "buffer", 12, target_x_crash=1.07),
    NotePlan("ms-contingent-jan", "ms", "ms", "Contingent Income Auto-Callable Securities", -22, 25_000_000.0,
             "knock_in", 24, target_x_crash=1.05, call_every_months=3, call_from_months=3),
    NotePlan("jpm-review-jan", "jpm", "jpm_review", "Review Notes", -12, 3_100_000.0, "knock_in", 12,
             fraction=0.5, call_every_months=1, call_from_months=1),
    NotePlan("gs-autocall-oct", "gs", "gs", "Autocallable Contingent Coupon ETF-Linked Notes", -80, 7_000_000.0,
             "knock_in", 18, fraction=0.7, coupon=True, call_every_months=1, call_from_months=1),
    NotePlan("jpm-accin-feb", "jpm", "jpm_accin", "Auto Callable Contingent Interest Notes", -3, 0.0, "knock_in",
             36, fraction=0.6, coupon=True, call_every_months=3, call_from_months=6, priced=False),
)
TITLE_LINK = {"ms": "Based on the Performance of the iShares® Bitcoin Trust ETF",
              "jpm": "Linked to the iShares® Bitcoin Trust ETF", "gs": "Linked to the iShares® Bitcoin Trust ETF"}


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _on_or_after(day: date) -> date:
    return trading_days(day, day + timedelta(days=10))[0]


def _shift(days: list[date], day: date, n: int) -> date | None:
    i = days.index(day) + n
    return days[i] if 0 <= i < len(days) else None


def _pick(plan: NotePlan, closes: pd.Series, days: list[date], crash_close: float, planned: date):
    """(pricing day, initial level, principal barrier fraction) nearest the plan's target."""
    if plan.target_x_crash is None:
        return planned, float(closes[planned]), plan.fraction
    target = plan.target_x_crash * crash_close
    best = None
    for n in range(-PRICING_SEARCH_DAYS, PRICING_SEARCH_DAYS + 1):
        day = _shift(days, planned, n)
        if day is None:
            continue
        initial = float(closes[day])
        for fraction in BARRIER_GRID:
            miss = abs(initial * fraction - target)
            if best is None or miss < best[0]:
                best = (miss, day, initial, fraction)
    return best[1], best[2], best[3]


def simulate_notes(seed: int, daily_bars: pd.DataFrame, crash_day: date, start: date, end: date) -> pd.DataFrame:
    """The `structured_notes` rows of every filing the demo window holds (see the module doc)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, *map(ord, "structured-notes")]))
    ibit = daily_bars[daily_bars["symbol"] == "IBIT"]
    closes = pd.Series(ibit["close"].to_numpy(float), index=list(ibit["trade_date"]))
    days = [d for d in trading_days(start, end) if d in closes.index]
    if crash_day not in closes.index:
        return frame(DATASET, [])
    crash_close = float(closes[crash_day])
    records: list[dict] = []
    used_numbers: set[int] = set()
    for plan in PLANS:
        planned = _shift(days, crash_day, plan.offset)
        if planned is None:
            continue
        pricing, initial, fraction = _pick(plan, closes, days, crash_close, planned)
        prelim_day = _shift(days, pricing, -PRELIM_LEAD_DAYS)
        if prelim_day is None:
            continue  # priced before the window could show its preliminary supplement
        issuer = ISSUERS[plan.issuer]
        note = _note_terms(plan, issuer, pricing, fraction, rng)
        filings = [("preliminary", prelim_day)]
        final_day = _shift(days, pricing, issuer.final_lag_days)
        if plan.priced and final_day is not None:
            filings.append(("final", final_day))
        for status, filed in filings:
            number = int(rng.integers(10_000, 999_999))
            while number in used_numbers:
                number += 1
            used_numbers.add(number)
            records += _filing_rows(plan, issuer, note, status, filed, number, initial)
    return frame(DATASET, records)


def _note_terms(plan: NotePlan, issuer: Issuer, pricing: date, fraction: float, rng) -> dict:
    maturity = _on_or_after(_add_months(pricing, plan.tenor_months))
    if maturity > CALENDAR_END:
        raise ValueError(f"demo note {plan.key}: maturity {maturity} is past the trading calendar")
    final_valuation = trading_days(maturity - timedelta(days=10), maturity - timedelta(days=1))[-3]
    calls = []
    if plan.call_every_months:
        months = plan.call_from_months
        while (when := _on_or_after(_add_months(pricing, months))) < final_valuation:
            calls.append(when)
            months += plan.call_every_months
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    body = issuer.cusip_prefix + "".join(alphabet[int(i)] for i in rng.integers(0, len(alphabet), 2))
    cusip = body + cusip_check_digit(body)
    due = f"{maturity:%B} {maturity.day}, {maturity.year}"
    return {
        "pricing": pricing, "maturity": maturity, "final_valuation": final_valuation, "calls": calls,
        "fraction": fraction, "cusip": cusip, "isin": isin_for_cusip(cusip),
        "product_name": f"{plan.product} {TITLE_LINK[plan.issuer]} due {due}",
    }


def _filing_rows(plan: NotePlan, issuer: Issuer, note: dict, status: str, filed: date, number: int,
                 initial: float) -> list[dict]:
    final = status == "final"
    accession = f"{issuer.filer_agent}-{filed.year % 100:02d}-{number:06d}"
    filename = issuer.file_pattern.format(n=number)
    url = document_url({"cik": str(issuer.cik), "adsh": accession, "filename": filename})
    with_cusip = final or plan.issuer != "gs"
    with_isin = with_cusip and plan.issuer != "jpm"  # JPMorgan's supplements print the CUSIP only
    base = {
        "filing_date": filed, "accession": accession, "issuer": issuer.name, "issuer_cik": str(issuer.cik),
        "document_url": url, "document_status": status, "product_name": note["product_name"],
        "cusip": note["cusip"] if with_cusip else None, "isin": note["isin"] if with_isin else None,
        "underlying": "IBIT", "pricing_date": note["pricing"], "maturity_date": note["maturity"],
        "initial_level_usd": initial if final else None,
        "aggregate_principal_usd": plan.principal_usd if final else None, "source": NAME,
    }
    fraction = note["fraction"]
    level = round(initial * fraction, 4)
    # what each layout prints for a level: (US$, fraction) in a final supplement
    usd_only = plan.layout == "gs"
    pct_only = plan.layout in ("jpm_digital", "jpm_review")
    stated = (level if final and not pct_only else None, None if final and usd_only else fraction)
    rows = []
    principal_obs = "daily" if plan.daily else "maturity"
    rows.append({"barrier_kind": plan.principal_kind, "barrier_seq": 1, "barrier_observation": principal_obs,
                 "observation_date": None if plan.daily else note["final_valuation"],
                 "barrier_level_usd": stated[0], "barrier_fraction_of_initial": stated[1]})
    if plan.coupon:
        rows.append({"barrier_kind": "coupon", "barrier_seq": 1, "barrier_observation": "review_dates",
                     "observation_date": None, "barrier_level_usd": stated[0],
                     "barrier_fraction_of_initial": stated[1]})
    for i, when in enumerate(note["calls"]):
        # Morgan Stanley's schedule table prints the call level in US$ and %; the others 100% only
        call_usd = initial if final and plan.layout == "ms" else None
        rows.append({"barrier_kind": "autocall", "barrier_seq": i + 1, "barrier_observation": "review_dates",
                     "observation_date": when, "barrier_level_usd": call_usd, "barrier_fraction_of_initial": 1.0})
    return [{**base, **row} for row in rows]
