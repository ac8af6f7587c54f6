"""The event analysis (../shared/docs/EVENT.md) claim by claim against a warehouse: each claim beside
the warehouse's figure and a verdict - reproduced, differs (and why), or not computable from the data
at hand (and which data would settle it). `btcflows reconcile [--out docs/RECONCILIATION.md]`.

Every figure is read from the marts (a few from intermediate or raw tables, named in the text); the
verdicts follow stated tolerances, so the same warehouse always gives the same document.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from pipelines.report.banner import banner_for

REPRODUCED, DIFFERS, NOT_COMPUTABLE = "reproduced", "differs", "not computable"

CRASH, REBOUND = date(2026, 2, 5), date(2026, 2, 6)
PRE_CRASH, BIG_DROP, BIG_REDEMPTION = date(2026, 2, 4), date(2026, 1, 29), date(2026, 1, 30)
CORRELATION_WEEKS = (date(2026, 1, 15), date(2026, 2, 4))  # "the preceding weeks"
GAMMA_BAND_USD = (64_000, 71_000)


@dataclass(frozen=True)
class Finding:
    link: str  # the analysis's link in its chain (EVENT.md)
    claim: str  # what the analysis says
    figure: str  # what the warehouse says
    verdict: str  # REPRODUCED | DIFFERS | NOT_COMPUTABLE
    why: str  # the reason, the convention, or the data that would settle it


def usd_m(x: float) -> str:
    return f"{'-' if x < 0 else '+'}US${abs(x) / 1e6:,.1f} m"


def usd_bn(x: float) -> str:
    return f"US${x / 1e9:,.2f} bn"


def pct(x: float, digits: int = 1) -> str:
    return f"{x * 100:+.{digits}f}%"


class MartReader:
    """Read-only queries on one warehouse connection; None for a missing row or value."""

    def __init__(self, con):
        self.con = con

    def frame(self, sql: str, *params) -> pd.DataFrame:
        return self.con.execute(sql, list(params)).df()

    def value(self, sql: str, *params):
        row = self.con.execute(sql, list(params)).fetchone()
        return None if row is None or row[0] is None or pd.isna(row[0]) else row[0]

    def snapshot(self, column: str, day: date):
        return self.value(f"select {column} from marts.fct_daily_snapshot_4pm_et where trade_date = ?", day)


def _crash_return(w: MartReader) -> Finding:
    r = w.snapshot("ibit_return", CRASH)
    claim = "IBIT closed down about 13.2% on 5 Feb 2026."
    if r is None:
        return Finding("the event", claim, "no IBIT close", NOT_COMPUTABLE, "IBIT daily bars (yahoo) would settle it.")
    ok = abs(r + 0.132) <= 0.003
    return Finding("the event", claim, f"IBIT close-to-close {pct(r, 2)}", REPRODUCED if ok else DIFFERS,
                   "fct_daily_snapshot_4pm_et.ibit_return; within 0.3 points." if ok else "more than 0.3 points apart.")


def _record_volume(w: MartReader) -> list[Finding]:
    today = w.snapshot("ibit_dollar_volume", CRASH)
    if today is None:
        why = "IBIT daily bars with volume (yahoo) would settle it."
        return [Finding("the event", "Over US$10 billion of IBIT traded on 5 Feb.", "no IBIT volume", NOT_COMPUTABLE, why),
                Finding("the event", "Roughly double the earlier record.", "no IBIT volume", NOT_COMPUTABLE, why)]
    before = w.frame("select trade_date, ibit_dollar_volume from marts.fct_daily_snapshot_4pm_et "
                     "where trade_date < ? and ibit_dollar_volume is not null order by ibit_dollar_volume desc limit 1", CRASH)
    first = w.value("select min(trade_date) from marts.fct_daily_snapshot_4pm_et where ibit_dollar_volume is not null")
    out = [Finding("the event", "Over US$10 billion of IBIT traded on 5 Feb.", f"{usd_bn(today)} (close x shares traded)",
                   REPRODUCED if today > 10e9 else DIFFERS, "fct_daily_snapshot_4pm_et.ibit_dollar_volume.")]
    if before.empty:
        out.append(Finding("the event", "Roughly double the earlier record.", f"{usd_bn(today)}, no earlier day",
                           NOT_COMPUTABLE, "IBIT bars before 5 Feb would settle it."))
        return out
    previous, on = float(before["ibit_dollar_volume"].iloc[0]), pd.Timestamp(before["trade_date"].iloc[0]).date()
    ratio = today / previous
    out.append(Finding(
        "the event", "Roughly double the earlier record (by the author's measure).",
        f"{ratio:.2f}x the previous record, {usd_bn(previous)} on {on}", REPRODUCED if 1.8 <= ratio <= 2.2 else DIFFERS,
        f"A record by this measure (close x shares traded, bars since {pd.Timestamp(first).date()}), but not double; "
        "the author's measure is not stated (intraday dollar volume, or another start date, would give another base)."))
    return out


def _options_record(w: MartReader) -> Finding:
    row = w.frame("select * from marts.fct_options_activity where trade_date = ?", CRASH)
    claim = "IBIT options traded a record number of contracts on 5 Feb, puts dominating."
    if row.empty or pd.isna(row["total_contracts"].iloc[0]):
        return Finding("4 options fuel", claim, "no IBIT options volume", NOT_COMPUTABLE,
                       "OCC daily volume for IBIT (source occ-volume, ~2 years rolling) would settle it.")
    r = row.iloc[0]
    ok = bool(r["is_record_total"]) and r["put_call_ratio"] > 1
    return Finding("4 options fuel", claim, f"{r['total_contracts']:,.0f} contracts, {r['put_call_ratio']:.2f} puts per call",
                   REPRODUCED if ok else DIFFERS, "fct_options_activity (record to date, put/call ratio).")


def _rebound(w: MartReader) -> Finding:
    r = w.snapshot("btc_return", REBOUND)
    claim = "On 6 Feb bitcoin rebounded by more than 10%."
    if r is None:
        return Finding("the event", claim, "no BTC-USD at 4 pm", NOT_COMPUTABLE, "Hourly BTC-USD bars would settle it.")
    return Finding("the event", claim, f"BTC-USD 4 pm to 4 pm {pct(r, 2)}", REPRODUCED if r > 0.10 else DIFFERS,
                   "fct_daily_snapshot_4pm_et.btc_return.")


def _flow(w: MartReader, day: date, column: str = "ibit_flow_usd"):
    return w.snapshot(column, day)


def _drop_then_redemption(w: MartReader) -> Finding:
    drop, flow = w.snapshot("ibit_return", BIG_DROP), _flow(w, BIG_REDEMPTION)
    claim = "After a 5.8% drop IBIT had seen about US$530 m of redemptions (30 Jan)."
    if drop is None or flow is None:
        return Finding("1 volume without exodus", claim, "missing return or flow", NOT_COMPUTABLE,
                       "IBIT bars and tracker flows for 29-30 Jan would settle it.")
    ok = abs(drop + 0.058) <= 0.003 and abs(flow + 530e6) <= 10e6
    return Finding("1 volume without exodus", claim, f"IBIT {pct(drop, 2)} on {BIG_DROP}; flow {usd_m(flow)} on {BIG_REDEMPTION}",
                   REPRODUCED if ok else DIFFERS,
                   "The drop was the trading day before the redemption (flows are by trade date).")


def _pre_crash_redemption(w: MartReader) -> Finding:
    flow = _flow(w, PRE_CRASH)
    returns = w.frame("select ibit_return from marts.fct_daily_snapshot_4pm_et where trade_date between ? and ?",
                      date(2026, 2, 2), PRE_CRASH)["ibit_return"]
    claim = "About US$370 m of redemptions on 4 Feb after consecutive losses."
    if flow is None:
        return Finding("1 volume without exodus", claim, "no IBIT flow", NOT_COMPUTABLE, "Tracker flows would settle it.")
    losses = len(returns) == 3 and bool((returns < 0).all())
    ok = abs(flow + 370e6) <= 10e6 and losses
    return Finding("1 volume without exodus", claim,
                   f"IBIT flow {usd_m(flow)}; returns 2-4 Feb {', '.join(pct(r) for r in returns)}",
                   REPRODUCED if ok else DIFFERS, "fct_daily_snapshot_4pm_et.")


def _expected_outflow(w: MartReader) -> Finding:
    rows = w.frame("select trade_date, flow_usd, expected_flow_usd, modelled_flow_usd, funds_modelled, "
                   "modelled_share_of_gross_flow from marts.fct_etf_flows where ticker = 'ALL' and trade_date in (?, ?) "
                   "order by trade_date", CRASH, REBOUND)
    claim = "US$0.5-1 bn of outflow would have been normal (given the price moves)."
    rows = rows[rows["expected_flow_usd"].notna()]
    if rows.empty:
        return Finding("1 volume without exodus", claim, "no expected flow", NOT_COMPUTABLE,
                       "Daily bars of the funds (their returns feed the flow model) would settle it.")
    parts = [f"{pd.Timestamp(r.trade_date).date():%d %b}: expected {usd_m(r.expected_flow_usd)} over {int(r.funds_modelled)} "
             f"modelled funds ({r.modelled_share_of_gross_flow:.0%} of the day's gross flow), actual {usd_m(r.modelled_flow_usd)}"
             for r in rows.itertuples()]
    ok = bool(rows["expected_flow_usd"].between(-1e9, -0.5e9).any())
    return Finding("1 volume without exodus", claim, "; ".join(parts), REPRODUCED if ok else DIFFERS,
                   "fct_etf_flows ALL row: per fund, a rolling OLS of flow on the day's and the previous day's return "
                   "(250 trading days, no look-ahead), summed over the funds with a model; funds without daily bars "
                   "have none.")


def _rebound_creations(w: MartReader) -> list[Finding]:
    ibit, total, close = _flow(w, REBOUND), _flow(w, REBOUND, "total_etf_flow_usd"), w.snapshot("ibit_close", REBOUND)
    shares = w.value("select shares_created from marts.fct_etf_flows where ticker = 'IBIT' and trade_date = ?", REBOUND)
    link = "1 volume without exodus"
    out = []
    if shares is not None:
        out.append(Finding(link, "Roughly 6 million new IBIT shares (6 Feb).", f"{shares:,.0f} shares created",
                           REPRODUCED if abs(shares - 6e6) <= 0.5e6 else DIFFERS, "fct_etf_flows.shares_created (iShares)."))
    else:
        implied = f"; the flow at the close implies ~{ibit / close / 1e6:.1f} M" if ibit is not None and close else ""
        out.append(Finding(link, "Roughly 6 million new IBIT shares (6 Feb).", f"no shares outstanding{implied}",
                           NOT_COMPUTABLE, "IBIT shares outstanding and NAV (iShares fund history, source ishares) would settle it."))
    checks = (("AUM up by over US$230 m (IBIT, 6 Feb).", ibit, 230e6, "IBIT's net creation; AUM also moves with the price."),
              ("ETF inflows as a whole over US$300 m (6 Feb; the real data: all funds +US$371.1 m).", total, 300e6,
               "fct_daily_snapshot_4pm_et.total_etf_flow_usd (= fct_etf_flows ALL)."))
    for claim, value, threshold, why in checks:
        if value is None:
            out.append(Finding(link, claim, "no flow", NOT_COMPUTABLE, "Tracker flows would settle it."))
        else:
            out.append(Finding(link, claim, usd_m(value), REPRODUCED if value > threshold else DIFFERS, why))
    crash = _flow(w, CRASH)
    out.append(Finding(link, "On 5 Feb itself IBIT saw -US$175.3 m.", "no flow" if crash is None else usd_m(crash),
                       NOT_COMPUTABLE if crash is None else (REPRODUCED if abs(crash + 175.3e6) <= 1e6 else DIFFERS),
                       "fct_daily_snapshot_4pm_et.ibit_flow_usd."))
    return out


def _correlations(w: MartReader) -> list[Finding]:
    start, end = CORRELATION_WEEKS
    igv = w.frame("select corr_20d from marts.fct_cross_asset where peer = 'IGV' and trade_date between ? and ?",
                  start, end)["corr_20d"].dropna()
    link = "2 not a crypto story at first"

    def moved_together(claim: str, pair: str, corr: pd.Series, why: str) -> Finding:
        if corr.empty:
            return Finding(link, claim, f"no {pair} returns", NOT_COMPUTABLE, f"{pair} daily bars would settle it.")
        return Finding(link, claim, f"20-day {pair} correlation {corr.min():.2f} .. {corr.max():.2f} ({start} .. {end})",
                       REPRODUCED if corr.min() >= 0.5 else DIFFERS, why + " 'Closely' read as 0.5 or more throughout.")

    pairs = w.frame("select a.trade_date, a.simple_return as igv, b.simple_return as gld "
                    "from intermediate.int_returns_daily_close_to_close as a "
                    "join intermediate.int_returns_daily_close_to_close as b on a.trade_date = b.trade_date "
                    "where a.symbol = 'IGV' and b.symbol = 'GLD' and a.trade_date <= ? order by a.trade_date", end)
    pairs = pairs.dropna().set_index("trade_date")
    rolling = pairs["igv"].rolling(20).corr(pairs["gld"])
    out = [
        moved_together("In the preceding weeks IBIT moved closely with software stocks (IGV).", "IBIT-IGV", igv,
                       "fct_cross_asset.corr_20d (close-to-close returns)."),
        moved_together("Software moved with gold.", "IGV-GLD",
                       rolling[(rolling.index >= pd.Timestamp(start)) & (rolling.index <= pd.Timestamp(end))].dropna(),
                       "int_returns_daily_close_to_close (GLD's close is dividend-adjusted in this data)."),
    ]
    z = w.snapshot("ibit_return_z_60d", PRE_CRASH)
    context = f"; for context, IBIT's own 60-day return z-score on 4 Feb: {z:.2f}" if z is not None else ""
    out.append(Finding(link, "Multi-strategy funds had one of their worst days on 4 Feb (z about 3.5, a 0.05% event).",
                       f"no multi-strategy fund returns{context}", NOT_COMPUTABLE,
                       "Daily returns of multi-strategy funds (an index of them) would settle it."))
    return out


def _basis(w: MartReader) -> list[Finding]:
    front = w.frame("select trade_date, basis_annualized, is_rolled_series, contract_near from marts.fct_cme_basis "
                    "where tenor = 'front' and trade_date between ? and ? order by trade_date", PRE_CRASH, REBOUND)
    by_day = {pd.Timestamp(r.trade_date).date(): r for r in front.itertuples()}
    link = "3 hedged positions were unwound"
    crash, rebound = by_day.get(CRASH), by_day.get(REBOUND)
    out = []
    claim = "Near-month annualized CME basis jumped from about 3.3% on 5 Feb to about 9% on 6 Feb."
    if crash is None or rebound is None or pd.isna(crash.basis_annualized) or pd.isna(rebound.basis_annualized):
        out.append(Finding(link, claim, "no front basis", NOT_COMPUTABLE, "CME settlements would settle it."))
    else:
        figure = ", ".join(f"{d:%d %b} {pct(r.basis_annualized, 2)}" for d, r in by_day.items() if not pd.isna(r.basis_annualized))
        ok = abs(crash.basis_annualized - 0.033) <= 0.005 and abs(rebound.basis_annualized - 0.09) <= 0.01
        source = "the rolled front-month close (Yahoo BTC=F, a last trade)" if rebound.is_rolled_series else \
            f"{rebound.contract_near}'s settlement"
        out.append(Finding(link, claim, f"{figure} ({rebound.contract_near})", REPRODUCED if ok else DIFFERS,
                           f"Front basis from {source} against BTC-USD at 4 pm, ACT/365 on the fractional days to 16:00 "
                           "London; the article used per-contract settlements against a reference rate. Per-contract CME "
                           "settlements (source cme-settlements) and the BRRNY would settle it."))
    tenors = w.value("select count(basis_annualized) from marts.fct_cme_basis where tenor <> 'front' "
                     "and trade_date between ? and ?", date(2026, 1, 26), REBOUND)
    claim = "CME basis at 30/60/90/120 days, daily, from 26 Jan."
    if not tenors:
        out.append(Finding(link, claim, "tenors null", NOT_COMPUTABLE,
                           "The data has one (rolled) contract a day; per-contract settlements of at least two months "
                           "(source cme-settlements) would settle it."))
    else:
        out.append(Finding(link, claim, f"{tenors} tenor values from 26 Jan to 6 Feb", REPRODUCED, "fct_cme_basis."))
    return out


def _note_barriers(w: MartReader, link: str) -> Finding:
    claim = "Knock-in barriers of IBIT-linked structured notes (43.6; later notes around 38-39)."
    barriers = w.frame("select pricing_date, barrier_level_usd, aggregate_principal_usd from marts.fct_note_barriers "
                       "where is_principal_barrier and barrier_level_usd is not null and pricing_date <= ? "
                       "order by pricing_date", CRASH)
    if barriers.empty:
        return Finding(link, claim, "no note barriers in the register", NOT_COMPUTABLE,
                       "The notes' 424B2 filings (source sec-edgar: SEC EDGAR full-text search) would settle it.")
    priced = pd.to_datetime(barriers["pricing_date"])
    november = barriers[(priced.dt.year == 2025) & (priced.dt.month == 11)]["barrier_level_usd"]
    later = barriers[priced > pd.Timestamp("2025-11-30")]["barrier_level_usd"]
    near_43_6 = november.iloc[(november - 43.6).abs().argsort()[:1]] if len(november) else november
    figure = (f"November 2025 notes: nearest barrier US${near_43_6.iloc[0]:.2f}" if len(near_43_6) else
              "no note priced in November 2025")
    figure += (f"; notes priced later: US${later.min():.2f}-{later.max():.2f} ({len(later)} barrier(s))" if len(later)
               else "; no note priced later")
    # 'at 43.6' within 3%; 'around 38-39': most of the later barriers between US$37 and US$40
    ok = bool(len(near_43_6) and abs(near_43_6.iloc[0] / 43.6 - 1) <= 0.03 and len(later)
              and later.between(37.0, 40.0).mean() >= 0.5)
    return Finding(link, claim, figure, REPRODUCED if ok else DIFFERS,
                   "fct_note_barriers: principal (knock-in and buffer) barriers in US$ per IBIT share, from the notes' "
                   "pricing supplements (final over preliminary).")


def _options_and_gamma(w: MartReader) -> list[Finding]:
    link = "4 options fuel"
    out = [_note_barriers(w, link)]
    lo, hi = GAMMA_BAND_USD
    strikes = w.frame("select snapshot_utc, strike_btc_usd as strike, sum(gex_usd_per_1pct) as gex "
                      "from marts.fct_dealer_gamma where snapshot_utc <= ? group by all", pd.Timestamp("2026-02-08"))
    claim = "Dealers were short gamma mostly in the 64k-71k strike range."
    if strikes.empty:
        out.append(Finding(link, claim, "no option chain", NOT_COMPUTABLE, "Deribit chain snapshots (16:00 New York) would settle it."))
    else:
        latest = strikes[strikes["snapshot_utc"] == strikes["snapshot_utc"].max()]
        short = latest[latest["gex"] < 0]
        share = short.loc[short["strike"].between(lo, hi), "gex"].sum() / short["gex"].sum() if len(short) else 0.0
        when = pd.Timestamp(latest["snapshot_utc"].iloc[0])
        out.append(Finding(link, claim, f"{share:.2%} of the dealers' short gamma (S0 convention) at 64k-71k strikes, "
                                        f"Deribit snapshot {when:%Y-%m-%d %H:%M} UTC",
                           REPRODUCED if share >= 0.5 else DIFFERS,
                           "fct_dealer_gamma; the sign is an assumption (dealers long calls, short puts); the only "
                           "snapshot near the event may be a weekend one, not 16:00 New York on 5 Feb."))
    dvol = w.snapshot("dvol", CRASH)
    claim = "Implied volatility spiked to about 90%."
    if dvol is None:
        out.append(Finding(link, claim, "no DVOL", NOT_COMPUTABLE, "Deribit DVOL would settle it."))
    else:
        out.append(Finding(link, claim, f"DVOL-BTC {dvol:.1f} on 5 Feb (close of the UTC day)",
                           REPRODUCED if abs(dvol - 90) <= 5 else DIFFERS,
                           "Deribit's 30-day BTC implied-vol index; the article's figure is not sourced (IBIT options' "
                           "implied volatility, not in the data, may be what it meant)."))
    return out


def _open_interest(w: MartReader) -> list[Finding]:
    link = "5 who bought the dip"
    oi = w.frame("select trade_date, venue, open_interest_btc from marts.fct_open_interest_4pm_et "
                 "where trade_date between ? and ? and open_interest_btc is not null order by trade_date", PRE_CRASH, REBOUND)
    cme = oi[oi["venue"] == "CME"].set_index("trade_date")["open_interest_btc"]
    binance = oi[oi["venue"] == "Binance"].set_index("trade_date")["open_interest_btc"]
    out = []
    claim = "CME open interest fell from 4 to 5 Feb and rebounded on 6 Feb."
    if len(cme) < 3:
        weekly = w.frame("select report_date, max(open_interest) as oi from raw.cot_positions "
                         "where report_date between ? and ? group by 1 order by 1", date(2026, 2, 3), date(2026, 2, 10))
        context = "; CFTC (weekly): " + ", ".join(f"{pd.Timestamp(d).date()} {v:,.0f} contracts"
                                                   for d, v in weekly.itertuples(index=False)) if len(weekly) else ""
        out.append(Finding(link, claim, f"no daily CME open interest{context}", NOT_COMPUTABLE,
                           "CME's daily volume and open interest per contract (source cme-settlements) would settle it."))
    else:
        values = cme.to_numpy()
        ok = values[1] < values[0] < values[2] or (values[1] < values[0] and values[2] > values[1])
        out.append(Finding(link, claim, ", ".join(f"{v:,.0f} BTC" for v in values), REPRODUCED if ok else DIFFERS,
                           "fct_open_interest_4pm_et (end of day)."))
    claim = "Binance's open interest had collapsed and did not come back as fast as CME's."
    funding = w.frame("select trade_date, binance_funding_rate from marts.fct_daily_snapshot_4pm_et "
                      "where trade_date between ? and ? order by trade_date", PRE_CRASH, REBOUND).dropna()
    context = "; funding in force at 4 pm: " + ", ".join(
        f"{pd.Timestamp(d):%d %b} {r * 100:+.4f}%" for d, r in funding.itertuples(index=False)) if len(funding) else ""
    if len(binance) < 3 or len(cme) < 3:
        out.append(Finding(link, claim, f"no Binance open interest{context}", NOT_COMPUTABLE,
                           "Binance open-interest history (source binance-oi, data.binance.vision) would settle it; "
                           "negative funding after 5 Feb 16:00 UTC is consistent with leveraged longs not returning."))
    else:
        ok = binance.iloc[1] < 0.85 * binance.iloc[0] and binance.iloc[2] / binance.iloc[1] < cme.iloc[2] / cme.iloc[1]
        out.append(Finding(link, claim, ", ".join(f"{v:,.0f} BTC" for v in binance) + context,
                           REPRODUCED if ok else DIFFERS, "fct_open_interest_4pm_et, in BTC (a price move alone moves neither)."))
    return out


def _what_to_watch(w: MartReader) -> Finding:
    fired = w.frame("select trade_date, total_etf_flow_usd, cme_front_basis_change from marts.fct_signals "
                    "where inflow_without_basis_expansion and trade_date between ? and ? order by trade_date",
                    date(2026, 1, 26), date(2026, 2, 13))
    claim = "Net ETF inflows not accompanied by an expansion of the basis are real, unhedged demand: watch for them."
    figure = "; ".join(f"fired {pd.Timestamp(r.trade_date).date()} (flow {usd_m(r.total_etf_flow_usd)}, basis "
                       f"{r.cme_front_basis_change * 100:+.2f} points)" for r in fired.itertuples()) or "did not fire 26 Jan .. 13 Feb"
    rebound_fired = not fired.empty and (pd.to_datetime(fired["trade_date"]).dt.date == REBOUND).any()
    return Finding("6 what to watch next", claim, figure, DIFFERS if rebound_fired else REPRODUCED,
                   "fct_signals.inflow_without_basis_expansion. The analysis reads 6 Feb's inflows as hedged (basis up); "
                   "by this data's front basis they came with a narrower basis." if rebound_fired else
                   "fct_signals.inflow_without_basis_expansion: 6 Feb's inflows came with a wider basis (hedged).")


def _real_data_checks(w: MartReader) -> list[Finding]:
    link = "EVENT.md's own check of the real data"
    out = []
    prices = [(d, w.snapshot("btc_usd_4pm", d)) for d in (CRASH, REBOUND)]
    if all(p is not None for _, p in prices):
        ok = abs(prices[0][1] - 63_543) <= 1 and abs(prices[1][1] - 70_079) <= 1
        out.append(Finding(link, "BTC at 4 pm ET: 63,543 (5 Feb) and 70,079 (6 Feb).",
                           ", ".join(f"{p:,.0f} ({d:%d %b})" for d, p in prices), REPRODUCED if ok else DIFFERS,
                           "fct_daily_snapshot_4pm_et.btc_usd_4pm: the close of the hourly bar ending at 16:00 New York."))
    front = {d: w.value("select basis_annualized from marts.fct_cme_basis where tenor = 'front' and trade_date = ?", d)
             for d in (PRE_CRASH, CRASH, REBOUND)}
    if all(v is not None for v in front.values()):
        stated = {PRE_CRASH: 0.034, CRASH: 0.066, REBOUND: 0.045}
        ok = all(abs(front[d] - stated[d]) <= 0.0006 for d in stated)
        out.append(Finding(link, "The rolled front-month close gives 3.4% on 4 Feb, 6.6% on 5 Feb, 4.5% on 6 Feb.",
                           ", ".join(f"{pct(v, 2)} ({d:%d %b})" for d, v in front.items()), REPRODUCED if ok else DIFFERS,
                           "ACT/365 on the fractional days from 4 pm New York to 16:00 London on 27 Feb (BTCG26)."))
    return out


def _signal_rates(w: MartReader) -> list[tuple[str, int, int]]:
    rates = w.frame("""
        select 'inflow_without_basis_expansion' as rule, count(*) filter (where inflow_without_basis_expansion),
               count(inflow_without_basis_expansion) from marts.fct_signals
        union all select 'oi_collapse_one_venue', count(*) filter (where oi_collapse_one_venue),
               count(oi_collapse_one_venue) from marts.fct_signals
        union all select 'record_volume_with_net_creation', count(*) filter (where record_volume_with_net_creation),
               count(record_volume_with_net_creation) from marts.fct_signals
        union all select 'correlation_regime_shift', count(*) filter (where correlation_regime_shift),
               count(correlation_regime_shift) from marts.fct_signals""")
    return [tuple(r) for r in rates.itertuples(index=False)]


CLAIMS: list[Callable[[MartReader], Finding | list[Finding]]] = [
    _crash_return, _record_volume, _rebound, _drop_then_redemption, _pre_crash_redemption, _expected_outflow,
    _rebound_creations, _correlations, _basis, _options_record, _options_and_gamma, _open_interest, _what_to_watch,
    _real_data_checks,
]


def reconcile(con) -> list[Finding]:
    w = MartReader(con)
    findings: list[Finding] = []
    for claim in CLAIMS:
        found = claim(w)
        findings.extend(found if isinstance(found, list) else [found])
    return findings


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _lineage(w: MartReader) -> str:
    from pipelines.datasets import DATASETS

    sources = w.frame(" union ".join(f"select distinct _source from raw.{name}" for name in DATASETS))["_source"]
    return ", ".join(sorted(sources.dropna()))


def render(con) -> str:
    """The markdown document for the warehouse behind `con` (a read-only connection)."""
    findings = reconcile(con)
    w = MartReader(con)
    modes = sorted(w.frame("select distinct data_mode from marts.fct_daily_snapshot_4pm_et "
                           "where data_mode is not null")["data_mode"])
    first, last = (w.value(f"select {f}(trade_date) from marts.fct_daily_snapshot_4pm_et") for f in ("min", "max"))
    counts = {v: sum(f.verdict == v for f in findings) for v in (REPRODUCED, DIFFERS, NOT_COMPUTABLE)}
    lines = [
        "# Reconciliation: the event analysis against the warehouse",
        "",
        ("Written by `btcflows reconcile --out docs/RECONCILIATION.md` from the warehouse `make demo-real` builds "
         f"({', '.join(modes) or 'no'} data, trading days {first and pd.Timestamp(first).date()} .. "
         f"{last and pd.Timestamp(last).date()}; raw rows from {_lineage(w)}). Do not edit by hand: rebuild the "
         "warehouse and run the command."),
        "",
        ("Each claim of `../shared/docs/EVENT.md` beside the warehouse's figure and a verdict: "
         f"{counts[REPRODUCED]} reproduced, {counts[DIFFERS]} differ, {counts[NOT_COMPUTABLE]} not computable from "
         "this data."),
        "",
    ]
    banner = banner_for(modes)  # simulated, or simulated and real mixed: said before any figure
    if banner is not None:
        lines += [("**SIMULATED data**: these are the demo's figures, not the market's." if banner.kind == "simulated"
                   else f"**MIXED data** ({', '.join(modes)}): simulated rows stand behind some of these figures."), ""]
    lines += ["| link | claim | warehouse figure | verdict | why, and what would settle it |", "|---|---|---|---|---|"]
    lines += [f"| {_cell(f.link)} | {_cell(f.claim)} | {_cell(f.figure)} | **{f.verdict}** | {_cell(f.why)} |"
              for f in findings]
    lines += ["", "## The signals on this history", "",
              ("How often each rule of `fct_signals` fired, over the days it could be evaluated (the others are null). "
               "correlation_regime_shift is a two-sided 1% Fisher-z test per peer (IGV, GLD): under no change it fires "
               "on about 1% of days per peer, so a rate well above 2% is the history's regime changes (and fat tails)."),
              "", "| rule | days fired | days evaluated | rate |", "|---|---|---|---|"]
    lines += [f"| {rule} | {fired} | {tested} | {fired / tested:.1%} |" if tested else f"| {rule} | 0 | 0 | - |"
              for rule, fired, tested in _signal_rates(w)]
    return "\n".join(lines) + "\n"
