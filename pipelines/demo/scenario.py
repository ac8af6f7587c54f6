"""The demo scenario: a seeded, deterministic market around a simulated bitcoin crash day.

`build_scenario(seed, start, end, crash_day)` returns the canonical rows of every dataset the demo
sources serve (`Scenario.canonical`, exact DATASETS columns, `source` = the source NAME that
serves the rows) and what was planted in them (`Scenario.truths`), stated in market terms: BTC at
4 pm New York on the event days, the flows and shares created, CME settlements. What the marts
should show for them is derived by an independent reference (tests/reference), not here.

Calibrated to the real data of ../shared/docs/EVENT.md (../shared/data/feb2026). "td[k]" = the
k-th NYSE trading day from the crash day, td[0] = crash day (2026-02-05), td[+1] = rebound day:

* Clock. BTC is one log-price path sampled hourly. The daily "4 pm" price of a calendar day is the
  path at 16:00 New York = the close of the hourly bar that ends then (starts 20:00 UTC in winter,
  19:00 UTC in summer). Daily 4pm-to-4pm log returns are drawn first, then the hours in between are
  a Brownian bridge between consecutive 4 pm prices, so the hourly and daily views agree exactly.
  The path is anchored at BTC 73,400 USD at 4 pm on td[-1] (real: 73,414).
* Returns. 4pm-to-4pm log returns: on trading days sigma 2.2% with loading rho on a common "risk"
  factor z_risk (rho = 0.15, and 0.85 inside the correlation regime = the 35 calendar days up to
  the crash day, with a drift of -0.4%/day there); weekends/holidays sigma 1.5%, no risk factor.
  Planted simple returns between consecutive trading days, as BTC at 4 pm moved in the real data
  (calendar days between them set flat): td[-5] -5.8% (29 Jan), td[-4] -0.2%, td[-3] -6.9%,
  td[-2] -2.1%, td[-1] -3.8%, td[0] -13.2%, td[+1] +10.3%. On planted days z_risk = rho * z_btc (its
  conditional mean), clipped to +-3.5, so peers move with bitcoin.
* Peers (yahoo daily bars, trading days). Log returns sigma_p * (loading * z + sqrt(1-loading^2)
  * own noise): IGV 1.6% on z_risk with loading 0.9 (so corr(IBIT, IGV) ~ 0.9*rho: ~0.13 normally,
  ~0.75 in the regime); QQQ 1.1% loading 0.75 on z_risk; GLD 1.0% on z_risk with loading 0.1,
  0.6 in the regime (software moving with gold); COIN 3.5% loading 0.7 and MSTR 4.5% loading 0.85
  on IBIT's standardized return. FBTC and GBTC track bitcoin like IBIT with their own BTC per share.
* IBIT. BTC per share 0.000570 at the window start, falling by the 0.25%/year sponsor fee. NAV =
  BTC at 4 pm x BTC per share (cents). Close = NAV x (1 + N(0, 0.08%)) (cents), so IBIT
  close-to-close returns follow bitcoin's 4pm-to-4pm returns. Volume (shares, whole hundreds)
  lognormal around 45 M x (1 + 10|return|); on the crash day it is set so the dollar volume is 1.27x
  the previous record (the largest of the earlier days; real: US$10.27 bn vs 8.07 bn), and later
  days stay below it.
* Flows. IBIT shares outstanding change in 40,000-share baskets: delta = basket-rounded (target
  USD / NAV); farside IBIT flow = delta shares x NAV rounded to US$0.1 m (Farside's precision).
  Targets: 30 m + 1.5 bn x the day's return + 2.5 bn x the previous day's + N(0, 120 m) (flows
  follow the price with a lag), a quarter of days zero; planted as in the real data: td[-5]
  -317.8 m, td[-4] -528.3 m (the redemption the day after the -5.8% drop), td[-3] +142.0 m, td[-2]
  +60.0 m, td[-1] -373.4 m, td[0] -175.3 m, td[+1] exactly 5,800,000 shares created (~US$232 m).
  Other funds (FBTC GBTC ARKB BITB HODL BTC) share a common flow factor; planted others' totals are
  the real all-fund totals minus IBIT: td[-5] -500.0 m, td[-4] +18.6 m, td[-3] +419.8 m, td[-2]
  -332.0 m, td[-1] -171.5 m, td[0] -258.8 m, td[+1] +139.5 m (all funds +US$371 m on the rebound).
  All flows are multiples of US$100,000. `reported_date` = T + 1 calendar day (the first fetch of
  the Farside page that shows T). btc_held = shares x BTC/share.
* Options volume (OCC, IBIT). Total contracts lognormal around 900 k x (1 + 6|return|), put share
  0.38 (+ up to 0.15 on down days); crash day: 2.0x the window's other maximum, 62% puts.
* CME. Listed: the 6 nearest contract months whose expiry is after the trade date, plus Decembers
  up to two in all; no row on or after a contract's expiry day. Settle = BTC 4 pm x (1 + b x t / 365),
  t = fractional days from 4 pm New York to the contract's final settlement (16:00 London on its last
  trading day), tick 5 USD; b = the front's annualized basis (front: the nearest contract with at
  least 7 days left; AR around 6%, planted td[-1] 3.4%, td[0] 3.3%, td[+1] 9.0%: the article's jump)
  + 1.2% per year of maturity beyond the front. Total open interest (contracts) AR around 22,000,
  planted td[0] = 0.92 x td[-1] and td[+1] = 1.07 x td[0]; split over months by rank, rolling from
  the nearest in its last 7 days. Volume follows |return|.
* Binance. Hourly BTCUSDT open interest (BTC) AR around 95,000 x a level that falls linearly from
  1.0 at td[-1] 4 pm to 0.78 at td[0] 4 pm and 0.68 at td[+1] 4 pm, and stays there (no recovery,
  even in dollars after the rebound); USD value = BTC x the path price at that instant. Funding
  every 00/08/16 UTC around 0.0001, negative from 16:00 UTC on the crash day to 16:00 UTC two days
  later (as in the real data).
* DVOL. Daily, AR around 48, a ramp of +8 through the regime, 82.6 +- 0.5 on the crash day (real:
  82.62), then the excess decays by 0.55 per day. Two decimals.
* Deribit chain (16:00 New York, every calendar day). Expiries (08:00 UTC): next two Fridays,
  this and next month's last Friday, next quarter-end's last Friday. Strikes every 1,000 USD within
  +-30% of spot. Forward = spot x (1 + 5% x T). Smile on DVOL. OI (BTC): calls around 1.1 x spot,
  puts around 0.88 x spot, plus 2,500 BTC x expiry weight of puts on every strike in the planted
  band 64k-71k during the regime (ramping in over its first four weeks) and until 5 days after the
  rebound; with dealers long calls and short puts this makes the dealer short gamma sit mostly in
  the band on the crash day.
* CFTC TFF weekly (Tuesday, or the Monday before if Tuesday is not a trading day): open interest =
  CME total that day; category long/short shares from the 3 Feb 2026 report, +-5% noise.

Random draws come from named child streams of one numpy SeedSequence, so each component is
reproducible on its own. Prices are rounded to cents (CME to 5 USD), volumes and contracts to
integers, OI in BTC to 3 decimals (Deribit 1), so every renderer can round-trip exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import numpy as np
import pandas as pd

from pipelines.cme_calendar import contract_code, expiry_date, final_settlement_instant
from pipelines.datasets import DATASETS
from pipelines.demo.notes import simulate_notes
from pipelines.timeutils import NEW_YORK, calendar_days, snapshot_instant, trading_days

DEFAULT_SEED = 7
DEFAULT_START = date(2025, 10, 1)
DEFAULT_END = date(2026, 3, 31)
DEFAULT_CRASH_DAY = date(2026, 2, 5)

# Anchor and planted facts (the real data of 29 Jan .. 6 Feb 2026)
BTC_ANCHOR_USD = 73_400.0  # BTC at 4 pm New York on the day before the crash
# trading-day offset -> BTC 4pm-to-4pm simple return
PLANTED_RETURNS = {-5: -0.058, -4: -0.002, -3: -0.069, -2: -0.021, -1: -0.038, 0: -0.132, +1: +0.103}
REGIME_DAYS = 35  # calendar days before the crash with the high IBIT/IGV correlation
RHO_NORMAL, RHO_REGIME = 0.15, 0.85
REGIME_DRIFT_LOG_PER_DAY = -0.004
BTC_SIGMA_TRADING, BTC_SIGMA_WEEKEND = 0.022, 0.015
BTC_SIGMA_HOURLY_BRIDGE = 0.0045

IBIT_BTC_PER_SHARE_START = 0.000570
SPONSOR_FEE_PER_YEAR = 0.0025
IBIT_SHARES_START = 1_270_000_000
CREATION_BASKET_SHARES = 40_000
IBIT_PLANTED_FLOW_USD = {-5: -317.8e6, -4: -528.3e6, -3: 142.0e6, -2: 60.0e6, -1: -373.4e6, 0: -175.3e6}
IBIT_REBOUND_SHARES = 5_800_000  # 145 baskets: ~US$232 m at the rebound's NAV
IBIT_FLOW_PER_RETURN_USD, IBIT_FLOW_PER_PREVIOUS_RETURN_USD = 1.5e9, 2.5e9
OTHER_FUND_WEIGHTS = {"FBTC": 0.40, "GBTC": 0.15, "ARKB": 0.15, "BITB": 0.15, "HODL": 0.08, "BTC": 0.07}
OTHERS_PLANTED_FLOW_USD = {-5: -500.0e6, -4: 18.6e6, -3: 419.8e6, -2: -332.0e6, -1: -171.5e6, 0: -258.8e6,
                           +1: 139.5e6}
FARSIDE_PRECISION_USD = 100_000
DOLLAR_VOLUME_RECORD_MULTIPLE = 1.27  # crash-day IBIT dollar volume vs the previous record
OPTIONS_RECORD_MULTIPLE = 2.0  # crash-day IBIT options contracts vs the window's largest other day

CME_TICK_USD = 5.0
CME_FRONT_MIN_DAYS = 7.0  # the front: the nearest contract with at least this many days to final settlement
CME_BASIS_PLANTED = {-1: 0.034, 0: 0.033, +1: 0.090}  # front annualized basis (ACT/365 to final settlement)
CME_TERM_BASIS_PER_YEAR = 0.012
CME_OI_CRASH_FACTOR, CME_OI_REBOUND_FACTOR = 0.92, 1.07
BINANCE_OI_LEVELS = (1.0, 0.78, 0.68)  # at td[-1], td[0], td[+1] 4 pm
DVOL_CRASH = 82.6
GAMMA_BAND_USD = (64_000.0, 71_000.0)
BAND_PUT_OI_BTC = 2_500.0

ETF_TICKERS = ("IBIT", *OTHER_FUND_WEIGHTS)
PEERS = ("IGV", "GLD", "QQQ", "COIN", "MSTR")
COT_SHARES = {  # category -> (long, short) as shares of open interest (CFTC TFF 2026-02-03)
    "dealer": (0.273, 0.0965),
    "asset_manager": (0.312, 0.0387),
    "leveraged_funds": (0.193, 0.689),
    "other": (0.0645, 0.0174),
    "nonreportable": (0.050, 0.0517),
}
CME_MARKET_CODE = "133741"
MONTH_ABBR = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True)
class Truths:
    """What the scenario planted, in market terms, read back from the canonical frames. The mart values
    they imply (returns, basis, flows in the marts' conventions) come from tests/reference."""

    crash_day: date
    rebound_day: date
    pre_crash_day: date  # td[-1]
    big_drop_day: date  # td[-5], the -5.8% day
    big_redemption_day: date  # td[-4], the -528 m redemption
    regime_start: date
    btc_usd_4pm: dict[date, float]  # BTC at 16:00 New York, td[-6] .. td[+1]
    ibit_flow_usd: dict[date, float]  # IBIT's tracker figure, td[-5] .. td[+1]
    all_funds_flow_usd: dict[date, float]  # all funds' tracker figures summed, td[-5] .. td[+1]
    rebound_ibit_shares_created: float
    crash_dollar_volume_multiple: float  # crash-day IBIT dollar volume / the previous record
    cme_front_settlements: dict[date, tuple[str, float]]  # (front contract, settlement), td[-1] .. td[+1]
    cme_front_basis_planted: dict[date, float]  # the annualized basis those settlements were priced at
    cme_open_interest_contracts: dict[date, float]  # BTC months' total, td[-1] .. td[+1]
    binance_open_interest_levels: dict[date, float]  # Binance OI in BTC relative to td[-1] 4 pm
    dvol_crash: float
    gamma_band_usd: tuple[float, float]
    ibit_btc_per_share_start: float = IBIT_BTC_PER_SHARE_START


@dataclass(frozen=True)
class Scenario:
    seed: int
    start: date
    end: date
    crash_day: date
    canonical: dict[str, pd.DataFrame]
    truths: Truths


# ---------------------------------------------------------------------------------------------
# calendar helpers


def _ny_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=NEW_YORK).astimezone(UTC)


def _naive(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None)


@cache
def _expiry(year: int, month: int) -> date:
    return expiry_date(year, month)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def listed_cme_months(trade_date: date) -> list[tuple[int, int]]:
    """CME BTC months listed on `trade_date`: 6 consecutive (expiry after the date) + Decembers
    up to two in all."""
    year, month = trade_date.year, trade_date.month
    while _expiry(year, month) <= trade_date:
        year, month = _next_month(year, month)
    months = []
    for _ in range(6):
        months.append((year, month))
        year, month = _next_month(year, month)
    decembers = sum(1 for _, m in months if m == 12)
    dec_year = months[-1][0] if months[-1][1] < 12 else months[-1][0] + 1
    while decembers < 2:
        if (dec_year, 12) not in months:
            months.append((dec_year, 12))
            decembers += 1
        dec_year += 1
    return months


def _last_friday(year: int, month: int) -> date:
    nxt = date(*_next_month(year, month), 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 4) % 7)


def deribit_expiries(day: date) -> list[date]:
    """Expiry dates (08:00 UTC) live at 16:00 New York on `day`."""
    first_friday = day + timedelta(days=(4 - day.weekday()) % 7 or 7)
    out = {first_friday, first_friday + timedelta(days=7)}
    y, m = day.year, day.month
    for _ in range(2):
        lf = _last_friday(y, m)
        if lf <= day:
            y, m = _next_month(y, m)
            lf = _last_friday(y, m)
        out.add(lf)
        y, m = _next_month(y, m)
    qy, qm = day.year, day.month
    while qm % 3 or _last_friday(qy, qm) <= day:
        qy, qm = _next_month(qy, qm)
    out.add(_last_friday(qy, qm))
    return sorted(out)


def deribit_instrument(expiry: date, strike: float, put_call: str) -> str:
    return f"BTC-{expiry.day}{MONTH_ABBR[expiry.month - 1]}{expiry.year % 100:02d}-{int(strike)}-{put_call}"


# ---------------------------------------------------------------------------------------------
# the build


class _Streams:
    """Independent named random streams derived from one seed."""

    def __init__(self, seed: int):
        self.seed = seed

    def __call__(self, name: str) -> np.random.Generator:
        key = [self.seed] + [ord(c) for c in name]
        return np.random.default_rng(np.random.SeedSequence(key))


def _round_to(x, step):
    return np.round(np.asarray(x, dtype=float) / step) * step


def _ar1(rng: np.random.Generator, n: int, phi: float, sigma: float) -> np.ndarray:
    """Stationary AR(1) with unit persistence `phi`, vectorised via a lfilter-free recursion."""
    eps = rng.normal(0.0, sigma, n)
    out = np.empty(n)
    out[0] = eps[0] / math.sqrt(1 - phi**2)
    # A plain recursion over days (not hours): n is at most a few thousand.
    for i in range(1, n):
        out[i] = phi * out[i - 1] + eps[i]
    return out


def _frame(dataset: str, cols: dict) -> pd.DataFrame:
    df = pd.DataFrame(cols)
    df = df[DATASETS[dataset].column_names]
    for c in DATASETS[dataset].columns:
        if c.kind == "timestamp":
            df[c.name] = df[c.name].astype("datetime64[us]")
        elif c.kind == "float":
            df[c.name] = df[c.name].astype(float)
    return df.reset_index(drop=True)


def build_scenario(
    seed: int = DEFAULT_SEED,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    crash_day: date = DEFAULT_CRASH_DAY,
) -> Scenario:
    rs = _Streams(seed)
    tdays = trading_days(start, end)
    if crash_day not in tdays:
        raise ValueError(f"crash day {crash_day} is not an NYSE trading day inside {start}..{end}")
    k0 = tdays.index(crash_day)
    if k0 < 6 or k0 + 1 >= len(tdays):
        raise ValueError("the window needs at least 6 trading days before the crash and one after")
    td = {k: tdays[k0 + k] for k in range(-6, 2)}

    # Calendar days with one day of margin on each side (the hourly bridge needs both ends).
    ext = calendar_days(start - timedelta(days=1), end + timedelta(days=1))
    n = len(ext)
    pos = {d: i for i, d in enumerate(ext)}
    tset = set(trading_days(ext[0], ext[-1]))
    is_td = np.array([d in tset for d in ext])
    regime_start = crash_day - timedelta(days=REGIME_DAYS)
    in_regime = np.array([regime_start <= d <= crash_day for d in ext])

    # --- daily 4pm-to-4pm BTC log returns --------------------------------------------------
    rng = rs("btc-daily")
    z_risk = np.where(is_td, rng.normal(size=n), 0.0)
    z_crypto = rng.normal(size=n)
    rho = np.where(in_regime, RHO_REGIME, RHO_NORMAL)
    r_btc = np.where(
        is_td,
        BTC_SIGMA_TRADING * (rho * z_risk + np.sqrt(1 - rho**2) * z_crypto),
        BTC_SIGMA_WEEKEND * z_crypto,
    ) + np.where(in_regime, REGIME_DRIFT_LOG_PER_DAY, 0.0)
    for k, simple in PLANTED_RETURNS.items():
        i, i_prev = pos[td[k]], pos[td[k - 1]]
        r_btc[i_prev + 1 : i] = 0.0
        r_btc[i] = math.log1p(simple)
        z_btc = r_btc[i] / BTC_SIGMA_TRADING
        z_risk[i] = float(np.clip(rho[i] * z_btc, -3.5, 3.5))
    log_btc = np.cumsum(r_btc)
    log_btc += math.log(BTC_ANCHOR_USD) - log_btc[pos[td[-1]]]
    btc_4pm = np.round(np.exp(log_btc), 2)  # per ext day

    hourly, node_price, node_times, _snap_node = _hourly_path(rs, ext, btc_4pm, start, end)

    # --- trading-day frames -----------------------------------------------------------------
    t_idx = np.array([pos[d] for d in tdays])
    nt = len(tdays)
    btc_t = btc_4pm[t_idx]
    years_from_start = np.array([(d - start).days for d in tdays]) / 365.0
    bps = IBIT_BTC_PER_SHARE_START * np.exp(-SPONSOR_FEE_PER_YEAR * years_from_start)
    nav = np.round(btc_t * bps, 2)
    rng = rs("ibit")
    ibit_close = np.round(nav * (1 + rng.normal(0, 0.0008, nt)), 2)
    ibit_ret = np.r_[np.nan, ibit_close[1:] / ibit_close[:-1] - 1]
    k_crash = k0

    bars = [_equity_bars("IBIT", tdays, ibit_close, np.nan_to_num(ibit_ret), 45e6, rs)]
    ibit_volume = bars[0]["volume"].to_numpy().copy()
    prev_record = float(np.max(ibit_close[:k_crash] * ibit_volume[:k_crash]))
    record = DOLLAR_VOLUME_RECORD_MULTIPLE * prev_record
    ibit_volume[k_crash] = math.ceil(record / ibit_close[k_crash] / 100) * 100
    later = np.arange(nt) > k_crash
    too_big = later & (ibit_close * ibit_volume >= 0.9 * record)  # the crash day stays the record
    ibit_volume[too_big] = np.floor(0.9 * record / ibit_close[too_big] / 100) * 100
    bars[0]["volume"] = ibit_volume.astype(float)

    for sym, bps0 in (("FBTC", 0.000877), ("GBTC", 0.000786)):
        r = rs(f"etf-{sym}")
        close = np.round(btc_t * bps0 * np.exp(-SPONSOR_FEE_PER_YEAR * years_from_start)
                         * (1 + r.normal(0, 0.0008, nt)), 2)
        ret = np.r_[0.0, close[1:] / close[:-1] - 1]
        bars.append(_equity_bars(sym, tdays, close, ret, 6e6 if sym == "FBTC" else 4e6, rs))

    log_ibit = np.r_[0.0, np.diff(np.log(ibit_close))]
    z_ibit = log_ibit / np.std(log_ibit[1:])
    zr = z_risk[t_idx]
    regime_t = in_regime[t_idx]
    gold_loading = np.where(regime_t, 0.6, 0.1)
    peer_specs = {  # symbol -> (daily sigma, factor, loading, start price, base volume)
        "IGV": (0.016, zr, 0.9, 95.0, 3e6),
        "QQQ": (0.011, zr, 0.75, 520.0, 45e6),
        "GLD": (0.010, zr, gold_loading, 360.0, 9e6),
        "COIN": (0.035, z_ibit, 0.7, 300.0, 9e6),
        "MSTR": (0.045, z_ibit, 0.85, 330.0, 15e6),
    }
    for sym, (sigma, factor, loading, p0, vol0) in peer_specs.items():
        own = rs(f"peer-{sym}").normal(size=nt)
        r_log = sigma * (loading * factor + np.sqrt(1 - np.square(loading)) * own)
        r_log[0] = 0.0
        close = np.round(p0 * np.exp(np.cumsum(r_log)), 2)
        bars.append(_equity_bars(sym, tdays, close, np.r_[0.0, close[1:] / close[:-1] - 1], vol0, rs))
    daily_bars = pd.concat(bars, ignore_index=True)

    # --- ETF flows and IBIT fund data ---------------------------------------------------
    flows, fund = _etf_flows(rs, tdays, td, nav, ibit_ret, bps)

    # --- OCC IBIT options volume -------------------------------------------------------
    options_volume = _options_volume(rs, tdays, k_crash, ibit_ret)

    # --- CME ------------------------------------------------------------------------------
    futures, _cme_total_oi = _cme(rs, tdays, td, btc_t, ibit_ret)
    cot = _cot(rs, tdays, futures)

    # --- crypto every calendar day --------------------------------------------------------
    days = calendar_days(start, end)
    d_idx = np.array([pos[d] for d in days])
    dvol = _dvol(rs, ext, pos, td, in_regime, regime_start)
    vol_index = _frame("vol_index_daily", {
        "trade_date": days, "index_name": "DVOL-BTC", "close": dvol[d_idx], "source": "deribit-dvol"})
    perp_oi = _binance_oi(rs, node_times, node_price, td)
    funding = _funding(rs, node_times, crash_day)
    chain = _deribit_chain(rs, days, btc_4pm[d_idx], dvol[d_idx], regime_start, td[+1])

    canonical = {
        "etf_flows": flows,
        "etf_fund_daily": fund,
        "daily_bars": daily_bars,
        "hourly_bars": hourly,
        "futures_daily": futures,
        "perp_open_interest": perp_oi,
        "funding_rates": funding,
        "options_volume": options_volume,
        "option_chain_snapshot": chain,
        "vol_index_daily": vol_index,
        "cot_positions": cot,
    }
    canonical["structured_notes"] = simulate_notes(seed, daily_bars, crash_day, start, end)
    return Scenario(seed, start, end, crash_day, canonical, _truths(canonical, td, regime_start))


def _hourly_path(rs, ext, btc_4pm, start, end):
    """Hourly BTC-USD bars for the New York days start..end: a Brownian bridge in log price
    between consecutive 4 pm prices. Returns (frame, node prices, node times, snapshot nodes)."""
    h0 = _ny_midnight_utc(start)
    n_bars = int((_ny_midnight_utc(end + timedelta(days=1)) - h0).total_seconds() // 3600)
    hour = timedelta(hours=1)
    snap_nodes = np.array([int((snapshot_instant(d) - h0) / hour) for d in ext])
    lo, hi = snap_nodes[0], snap_nodes[-1]
    rng = rs("btc-hourly")
    w = np.r_[0.0, np.cumsum(rng.normal(0, BTC_SIGMA_HOURLY_BRIDGE, hi - lo))]  # nodes lo..hi
    nodes = np.arange(0, n_bars + 1)
    seg = np.searchsorted(snap_nodes, nodes, side="right") - 1
    seg = np.minimum(seg, len(snap_nodes) - 2)
    a, b = snap_nodes[seg], snap_nodes[seg + 1]
    frac = (nodes - a) / (b - a)
    la, lb = np.log(btc_4pm[seg]), np.log(btc_4pm[seg + 1])
    wa, wb, wn = w[a - lo], w[b - lo], w[nodes - lo]
    x = la + frac * (lb - la) + (wn - wa) - frac * (wb - wa)
    price = np.round(np.exp(x), 2)
    at_snap = nodes == a
    price[at_snap] = btc_4pm[seg][at_snap]  # exactly the daily 4 pm price

    open_, close = price[:-1], price[1:]
    wig = np.abs(rng.normal(0, BTC_SIGMA_HOURLY_BRIDGE / 2, (2, n_bars)))
    high = np.round(np.maximum(open_, close) * np.exp(wig[0]), 2)
    low = np.round(np.minimum(open_, close) * np.exp(-wig[1]), 2)
    volume = np.round(rng.lognormal(math.log(600), 0.5, n_bars), 4)
    starts = pd.date_range(_naive(h0), periods=n_bars, freq="h")
    hourly = _frame("hourly_bars", {
        "bar_start_utc": starts, "symbol": "BTC-USD", "open": open_, "high": high, "low": low,
        "close": close, "volume": volume, "source": "coinbase"})
    node_times = pd.date_range(_naive(h0), periods=n_bars + 1, freq="h")
    return hourly, price, node_times, snap_nodes


def _equity_bars(symbol, tdays, close, ret, base_volume, rs) -> pd.DataFrame:
    rng = rs(f"bars-{symbol}")
    n = len(close)
    sigma = max(float(np.std(ret[1:])) if n > 2 else 0.01, 0.005)
    prev = np.r_[close[0] * np.exp(rng.normal(0, sigma / 2)), close[:-1]]
    open_ = np.round(prev * np.exp(0.3 * np.log1p(ret) + rng.normal(0, sigma / 4, n)), 2)
    wig = np.abs(rng.normal(0, sigma / 3, (2, n)))
    high = np.round(np.maximum(open_, close) * np.exp(wig[0]), 2)
    low = np.round(np.minimum(open_, close) * np.exp(-wig[1]), 2)
    volume = _round_to(base_volume * rng.lognormal(0, 0.3, n) * (1 + 10 * np.abs(ret)), 100)
    return _frame("daily_bars", {
        "trade_date": tdays, "symbol": symbol, "open": open_, "high": high, "low": low,
        "close": close, "volume": volume, "source": "yahoo"})


def _etf_flows(rs, tdays, td, nav, ibit_ret, bps):
    rng = rs("flows")
    nt = len(tdays)
    k_of = {d: i for i, d in enumerate(tdays)}
    r = np.nan_to_num(ibit_ret)
    target = (30e6 + IBIT_FLOW_PER_RETURN_USD * r + IBIT_FLOW_PER_PREVIOUS_RETURN_USD * np.r_[0.0, r[:-1]]
              + rng.normal(0, 120e6, nt))
    target[rng.random(nt) < 0.25] = 0.0
    for k, usd in IBIT_PLANTED_FLOW_USD.items():
        target[k_of[td[k]]] = usd
    delta_shares = _round_to(target / nav, CREATION_BASKET_SHARES)
    delta_shares[k_of[td[+1]]] = IBIT_REBOUND_SHARES
    shares = IBIT_SHARES_START + np.cumsum(delta_shares)
    ibit_flow = _round_to(delta_shares * nav, FARSIDE_PRECISION_USD)

    common = 0.5 * target + rng.normal(0, 40e6, nt)
    other_flows = {}
    for t, wgt in OTHER_FUND_WEIGHTS.items():
        f = _round_to(wgt * common + rng.normal(0, 15e6 * wgt, nt), FARSIDE_PRECISION_USD)
        f[rng.random(nt) < 0.35] = 0.0
        other_flows[t] = f
    for k, total in OTHERS_PLANTED_FLOW_USD.items():
        i = k_of[td[k]]
        parts = {t: float(_round_to(wgt * total, FARSIDE_PRECISION_USD)) for t, wgt in OTHER_FUND_WEIGHTS.items()}
        parts["FBTC"] += total - sum(parts.values())  # the remainder, still a multiple of 0.1 m
        for t in OTHER_FUND_WEIGHTS:
            other_flows[t][i] = round(parts[t])

    reported = [d + timedelta(days=1) for d in tdays]
    blocks = [_frame("etf_flows", {"trade_date": tdays, "ticker": "IBIT", "flow_usd": ibit_flow,
                                   "source": "farside", "reported_date": reported})]
    for t, f in other_flows.items():
        blocks.append(_frame("etf_flows", {"trade_date": tdays, "ticker": t, "flow_usd": f + 0.0,
                                           "source": "farside", "reported_date": reported}))
    flows = pd.concat(blocks, ignore_index=True)
    fund = _frame("etf_fund_daily", {
        "trade_date": tdays, "ticker": "IBIT", "shares_outstanding": shares, "nav_usd": nav,
        "btc_held": np.round(shares * bps, 4), "source": "ishares"})
    return flows, fund


def _options_volume(rs, tdays, k_crash, ibit_ret):
    rng = rs("occ")
    nt = len(tdays)
    r = np.nan_to_num(ibit_ret)
    total = 900e3 * rng.lognormal(0, 0.3, nt) * (1 + 6 * np.abs(r))
    put_share = 0.38 + 0.15 * np.clip(-r / 0.05, 0, 1) + rng.normal(0, 0.02, nt)
    others = np.arange(nt) != k_crash
    total[k_crash] = OPTIONS_RECORD_MULTIPLE * total[others].max()
    put_share[k_crash] = 0.62
    puts = np.round(total * put_share)
    calls = np.round(total) - puts
    return _frame("options_volume", {
        "trade_date": list(tdays) * 2, "underlying": "IBIT", "put_call": ["P"] * nt + ["C"] * nt,
        "contracts": np.r_[puts, calls], "source": "occ-volume"})


def _cme(rs, tdays, td, btc_t, ibit_ret):
    rng = rs("cme")
    nt = len(tdays)
    k_of = {d: i for i, d in enumerate(tdays)}
    front_basis = 0.06 + _ar1(rng, nt, 0.9, 0.004)
    for k, b in CME_BASIS_PLANTED.items():
        front_basis[k_of[td[k]]] = b
    log_oi = _ar1(rng, nt, 0.97, 0.02)
    total_oi = 22_000 * np.exp(log_oi)
    i_pre, i_crash, i_reb = k_of[td[-1]], k_of[td[0]], k_of[td[+1]]
    total_oi[i_crash] = total_oi[i_pre] * CME_OI_CRASH_FACTOR
    total_oi[i_reb] = total_oi[i_crash] * CME_OI_REBOUND_FACTOR
    total_vol = 12_000 * rng.lognormal(0, 0.3, nt) * (1 + 15 * np.abs(np.nan_to_num(ibit_ret)))
    rank_weights = np.array([0.55, 0.30, 0.07, 0.03, 0.02, 0.015, 0.01, 0.005])

    rows: dict[str, list] = {k: [] for k in ("trade_date", "contract", "expiry_date", "settle", "volume", "open_interest")}
    for i, d in enumerate(tdays):  # one small block per trading day
        months = listed_cme_months(d)
        snapshot = snapshot_instant(d)
        # fractional days from 4 pm New York to each contract's final settlement (4 pm London)
        exps = np.array([(final_settlement_instant(_expiry(y, m)) - snapshot).total_seconds() / 86_400
                         for y, m in months])
        order = np.argsort(exps)
        w = np.empty(len(months))
        w[order] = rank_weights[: len(months)]
        nearest = order[0]
        if exps[nearest] < 7:  # the roll: the nearest month's OI migrates to the second in its last week
            moved = w[nearest] * (7 - exps[nearest]) / 7
            w[nearest] -= moved
            w[order[1]] += moved
        w /= w.sum()
        front = next(j for j in order if exps[j] >= CME_FRONT_MIN_DAYS)
        b = (front_basis[i] + CME_TERM_BASIS_PER_YEAR * (exps - exps[front]) / 365
             + rng.normal(0, 0.002, len(months)) * (np.arange(len(months)) != front))
        settle = _round_to(btc_t[i] * (1 + b * exps / 365), CME_TICK_USD)
        rows["trade_date"] += [d] * len(months)
        rows["contract"] += [contract_code(y, m) for y, m in months]
        rows["expiry_date"] += [_expiry(y, m) for y, m in months]
        rows["settle"] += list(settle)
        rows["volume"] += list(np.round(total_vol[i] * w))
        rows["open_interest"] += list(np.round(total_oi[i] * w))
    # the demo's CME open interest is served on its settlements pages
    futures = _frame("futures_daily", {**rows, "venue": "CME", "source": "cme-settlements",
                                       "open_interest_source": "settlements"})
    return futures, total_oi


def _cot(rs, tdays, futures):
    rng = rs("cot")
    tset = set(tdays)
    oi = futures.groupby("trade_date")["open_interest"].sum()
    report_dates = []
    for d in tdays:
        if d.weekday() == 1 or (d.weekday() == 0 and d + timedelta(days=1) not in tset):
            report_dates.append(d)
    recs: dict[str, list] = {k: [] for k in ("report_date", "category", "long_contracts", "short_contracts", "open_interest")}
    for d in report_dates:
        total = float(oi[d])
        for cat, (ls, ss) in COT_SHARES.items():
            recs["report_date"].append(d)
            recs["category"].append(cat)
            recs["long_contracts"].append(float(round(total * ls * (1 + rng.normal(0, 0.05)))))
            recs["short_contracts"].append(float(round(total * ss * (1 + rng.normal(0, 0.05)))))
            recs["open_interest"].append(total)
    return _frame("cot_positions", {**recs, "market_code": CME_MARKET_CODE, "source": "cftc-tff"})


def _dvol(rs, ext, pos, td, in_regime, regime_start):
    rng = rs("dvol")
    n = len(ext)
    base = 48 * np.exp(_ar1(rng, n, 0.93, 0.04))
    days_in = np.array([(d - regime_start).days for d in ext], dtype=float)
    ramp = np.where(in_regime, 8 * days_in / REGIME_DAYS, 0.0)
    i_crash = pos[td[0]]
    excess = np.zeros(n)
    crash_value = DVOL_CRASH + rng.uniform(-0.5, 0.5)
    excess[i_crash] = crash_value - base[i_crash] - ramp[i_crash]
    after = np.arange(n) > i_crash
    excess[after] = excess[i_crash] * 0.55 ** (np.arange(n)[after] - i_crash)
    return np.round(base + ramp + excess, 2)


def _binance_oi(rs, node_times, node_price, td):
    rng = rs("binance-oi")
    n = len(node_times) - 1  # one observation at every bar start (the hour)
    level = 95_000 * np.exp(_ar1(rng, n, 0.999, 0.003))
    seconds = node_times[:n].to_numpy().astype("datetime64[s]").astype(np.int64)
    anchors = [np.datetime64(_naive(snapshot_instant(td[k])), "s").astype(np.int64) for k in (-1, 0, 1)]
    level *= np.interp(seconds, anchors, BINANCE_OI_LEVELS)
    base = np.round(level, 3)
    usd = np.round(base * node_price[:n], 2)
    return _frame("perp_open_interest", {
        "ts_utc": node_times[:n], "venue": "Binance", "symbol": "BTCUSDT",
        "open_interest_base": base, "open_interest_usd": usd, "source": "binance-oi"})


def _funding(rs, node_times, crash_day):
    rng = rs("funding")
    times = node_times[:-1]
    ts = times[np.isin(times.hour, (0, 8, 16))]
    n = len(ts)
    rate = 0.0001 * (0.6 + 0.4 * np.exp(_ar1(rng, n, 0.8, 0.3)))
    neg_from = pd.Timestamp(datetime.combine(crash_day, time(16)))
    neg = (ts >= neg_from) & (ts <= neg_from + pd.Timedelta(days=2))
    rate[neg] = -0.00005 * (1 + rng.uniform(0, 1, int(neg.sum())))
    return _frame("funding_rates", {
        "ts_utc": ts, "venue": "Binance", "symbol": "BTCUSDT", "funding_rate": np.round(rate, 8),
        "source": "binance-funding"})


def _deribit_chain(rs, days, spot, dvol, regime_start, rebound_day):
    rng = rs("deribit")
    lo_band, hi_band = GAMMA_BAND_USD
    cols: dict[str, list] = {k: [] for k in ("snapshot_utc", "instrument", "expiry_utc", "strike", "put_call",
                                             "open_interest", "mark_iv", "underlying_price")}
    for d, s, v in zip(days, spot, dvol):  # one block per calendar day, vectorised within
        snap = _naive(snapshot_instant(d))
        strikes = np.arange(math.floor(0.7 * s / 1000) * 1000, math.ceil(1.3 * s / 1000) * 1000 + 1, 1000.0)
        if d < regime_start or d > rebound_day + timedelta(days=5):
            band_weight = 0.0
        else:
            band_weight = min(1.0, ((d - regime_start).days + 1) / 28)
        strike_text = [str(int(x)) for x in strikes]
        for e in deribit_expiries(d):
            prefix = deribit_instrument(e, 0, "C")[: -len("0-C")]
            exp_ts = datetime.combine(e, time(8))
            t_years = (exp_ts - snap).total_seconds() / (365 * 86400)
            weight = 3.0 if e.month % 3 == 0 and e == _last_friday(e.year, e.month) else (
                2.0 if e == _last_friday(e.year, e.month) else 1.0)
            fwd = round(s * (1 + 0.05 * t_years), 2)
            m = np.log(strikes / fwd)
            iv_pct = np.round(v * (1 - 0.25 * m + 0.6 * m * m) * (1 + rng.normal(0, 0.01, len(strikes))), 2)
            call_oi = 400 * weight * np.exp(-(((strikes / s) - 1.10) / 0.15) ** 2)
            put_oi = 300 * weight * np.exp(-(((strikes / s) - 0.88) / 0.15) ** 2)
            in_band = (strikes >= lo_band) & (strikes <= hi_band)
            put_oi = put_oi + in_band * BAND_PUT_OI_BTC * weight * band_weight
            for pc, oi in (("C", call_oi), ("P", put_oi)):
                k = len(strikes)
                cols["snapshot_utc"] += [snap] * k
                cols["instrument"] += [f"{prefix}{x}-{pc}" for x in strike_text]
                cols["expiry_utc"] += [exp_ts] * k
                cols["strike"] += list(strikes)
                cols["put_call"] += [pc] * k
                cols["open_interest"] += list(np.round(oi * rng.lognormal(0, 0.1, k), 1))
                cols["mark_iv"] += list(iv_pct / 100)
                cols["underlying_price"] += [fwd] * k
    return _frame("option_chain_snapshot", {
        **cols, "venue": "Deribit", "underlying": "BTC", "multiplier": 1.0, "source": "deribit-options"})


# ---------------------------------------------------------------------------------------------
# truths, in market terms


def _truths(canonical: dict[str, pd.DataFrame], td: dict[int, date], regime_start: date) -> Truths:
    hourly = canonical["hourly_bars"].set_index("bar_start_utc")["close"]
    flows = canonical["etf_flows"]
    fut = canonical["futures_daily"]
    fund = canonical["etf_fund_daily"].set_index("trade_date")["shares_outstanding"]
    bars = canonical["daily_bars"]
    ibit = bars[bars["symbol"] == "IBIT"].set_index("trade_date")
    dollar_volume = ibit["close"] * ibit["volume"]
    crash, rebound = td[0], td[+1]

    def btc_at_4pm(day: date) -> float:  # the close of the bar that ends at 16:00 New York
        return float(hourly[pd.Timestamp(_naive(snapshot_instant(day))) - pd.Timedelta(hours=1)])

    def front(day: date) -> tuple[str, float]:
        rows = fut[fut["trade_date"] == day]
        left = [(final_settlement_instant(e) - snapshot_instant(day)).total_seconds() / 86_400 for e in rows["expiry_date"]]
        row = rows[[t >= CME_FRONT_MIN_DAYS for t in left]].sort_values("expiry_date").iloc[0]
        return row["contract"], float(row["settle"])

    return Truths(
        crash_day=crash,
        rebound_day=rebound,
        pre_crash_day=td[-1],
        big_drop_day=td[-5],
        big_redemption_day=td[-4],
        regime_start=regime_start,
        btc_usd_4pm={td[k]: btc_at_4pm(td[k]) for k in range(-6, 2)},
        ibit_flow_usd={td[k]: float(flows[(flows["ticker"] == "IBIT") & (flows["trade_date"] == td[k])]["flow_usd"].iloc[0])
                       for k in range(-5, 2)},
        all_funds_flow_usd={td[k]: float(flows[flows["trade_date"] == td[k]]["flow_usd"].sum()) for k in range(-5, 2)},
        rebound_ibit_shares_created=float(fund[rebound] - fund[crash]),
        crash_dollar_volume_multiple=float(dollar_volume[crash] / dollar_volume[dollar_volume.index < crash].max()),
        cme_front_settlements={td[k]: front(td[k]) for k in (-1, 0, 1)},
        cme_front_basis_planted={td[k]: b for k, b in CME_BASIS_PLANTED.items()},
        cme_open_interest_contracts={
            td[k]: float(fut[(fut["trade_date"] == td[k]) & fut["contract"].str.startswith("BTC")]["open_interest"].sum())
            for k in (-1, 0, 1)},
        binance_open_interest_levels={td[k]: level for k, level in zip((-1, 0, 1), BINANCE_OI_LEVELS)},
        dvol_crash=float(canonical["vol_index_daily"].set_index("trade_date").at[crash, "close"]),
        gamma_band_usd=GAMMA_BAND_USD,
    )
