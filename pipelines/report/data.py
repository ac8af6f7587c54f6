"""What each chart reads from the marts, through a read-only connection only.

Every loader returns a `ChartData`: the rows to draw (possibly none, with the reason), the data
modes of those rows (for the banner) and the as-of date. A mart that has not been built yet, or has
no rows in the window, is a reason, never an exception."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.timeutils import NEW_YORK, UTC, trading_days
from pipelines.warehouse import Warehouse, WarehouseLocked

DEFAULT_TRADING_DAYS = 60
SNAPSHOT_MART = "fct_daily_snapshot_4pm_et"


@dataclass(frozen=True)
class Window:
    """The trading days a report covers, both ends included; `around` is the date it centres on."""

    start: date
    end: date
    around: date | None = None

    def label(self) -> str:
        text = f"{self.start.isoformat()} to {self.end.isoformat()}"
        return text + (f" (around {self.around.isoformat()})" if self.around else "")


@dataclass
class ChartData:
    frame: pd.DataFrame
    modes: list = field(default_factory=list)
    as_of: str | None = None
    reason: str | None = None  # why there is nothing to draw
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.reason is not None or self.frame is None or self.frame.empty


def no_data(table: str, reason: str) -> ChartData:
    return ChartData(frame=pd.DataFrame(), reason=f"no data for this chart (table {table} {reason})")


# -- window ------------------------------------------------------------------------------------
def _shift_trading_days(day: date, n: int) -> date:
    """The trading day `n` sessions after (n > 0) or before (n < 0) `day` (day itself counts as 0
    when it is a session)."""
    span = timedelta(days=abs(n) * 2 + 10)
    if n >= 0:
        days = trading_days(day, day + span)
        return days[min(n, len(days) - 1)] if days else day
    days = trading_days(day - span, day)
    if days and days[-1] != day:
        n += 1  # `day` is not a session: the last session before it is step -1
    return days[max(len(days) - 1 + n, 0)] if days else day


def resolve_window(con: duckdb.DuckDBPyConnection, around: date | None = None,
                   n_trading_days: int = DEFAULT_TRADING_DAYS) -> Window:
    """Default: the last `n_trading_days` trading days of the daily mart. Around a date: two thirds
    of the window before it, one third after. Either is cut to the days the daily mart covers (when it
    covers any of them), so a short history is not drawn as mostly empty space."""
    first = last = None
    if table_exists(con, SNAPSHOT_MART):
        first, last = con.execute(f"select min(trade_date), max(trade_date) from marts.{SNAPSHOT_MART}").fetchone()
    if around is not None:
        before = (n_trading_days * 2) // 3
        after = n_trading_days - before - 1
        start, end = _shift_trading_days(around, -before), _shift_trading_days(around, after)
    else:
        end = last if last is not None else _shift_trading_days(datetime.now(NEW_YORK).date(), 0)
        start = _shift_trading_days(end, -(n_trading_days - 1))
    if first is not None and max(start, first) <= min(end, last):
        start, end = max(start, first), min(end, last)
    return Window(start, end, around)


# -- helpers -----------------------------------------------------------------------------------
def table_exists(con: duckdb.DuckDBPyConnection, table: str, schema: str = "marts") -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table]).fetchone()[0])


def table_columns(con: duckdb.DuckDBPyConnection, table: str, schema: str = "marts") -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, table]).fetchall()]


def _read(con, table: str, sql: str, params: list) -> tuple[pd.DataFrame | None, ChartData | None]:
    if not table_exists(con, table):
        return None, no_data(f"marts.{table}", "does not exist yet: run the dbt models")
    try:
        df = con.execute(sql, params).df()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        return None, no_data(f"marts.{table}", f"cannot be read as this chart expects: {first}")
    if df.empty:
        return None, no_data(f"marts.{table}", "has no rows in the window")
    return df, None


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.normalize()


def _modes(df: pd.DataFrame) -> list:
    return list(df["data_mode"]) if "data_mode" in df.columns else []


def _as_of(df: pd.DataFrame, column: str = "trade_date") -> str | None:
    values = df[column].dropna()
    return pd.Timestamp(values.max()).date().isoformat() if len(values) else None


def _first_present(columns: list[str], *candidates: str) -> str | None:
    return next((c for c in candidates if c in columns), None)


# -- loaders -----------------------------------------------------------------------------------
def load_ibit_dollar_volume(con, window: Window) -> ChartData:
    df, missing = _read(con, SNAPSHOT_MART, f"""
        select trade_date, ibit_dollar_volume, ibit_volume_shares, ibit_return, data_mode
        from marts.{SNAPSHOT_MART}
        where trade_date between ? and ? order by trade_date""", [window.start, window.end])
    if missing:
        return missing
    df = df[df["ibit_dollar_volume"].notna()]
    if df.empty:
        return no_data(f"marts.{SNAPSHOT_MART}", "has no IBIT dollar volume in the window")
    df["trade_date"] = _dates(df["trade_date"])
    # The record is over all history up to the window's end, not only the days shown.
    history = con.execute(f"""
        select trade_date, ibit_dollar_volume from marts.{SNAPSHOT_MART}
        where trade_date <= ? and ibit_dollar_volume is not null order by trade_date""", [window.end]).df()
    running_max = history["ibit_dollar_volume"].cummax().shift(1)
    history["is_record"] = history["ibit_dollar_volume"] > running_max.fillna(-1)
    record = history.loc[history["ibit_dollar_volume"].idxmax()]
    prior = history[pd.to_datetime(history["trade_date"]) < pd.Timestamp(record["trade_date"])]
    previous = prior.loc[prior["ibit_dollar_volume"].idxmax()] if len(prior) else None
    extra = {
        "record_date": pd.Timestamp(record["trade_date"]).normalize(),
        "record_usd": float(record["ibit_dollar_volume"]),
        "previous_record_date": pd.Timestamp(previous["trade_date"]).normalize() if previous is not None else None,
        "previous_record_usd": float(previous["ibit_dollar_volume"]) if previous is not None else None,
        "history_start": pd.Timestamp(history["trade_date"].iloc[0]).date().isoformat(),
    }
    return ChartData(df, _modes(df), _as_of(df), extra=extra)


def load_ibit_options(con, window: Window) -> ChartData:
    """fct_options_activity when built (it knows its records), else the daily snapshot's columns."""
    if table_exists(con, "fct_options_activity"):
        table, record_cols = "fct_options_activity", "is_record_total, is_record_puts,"
    else:
        table, record_cols = SNAPSHOT_MART, ""
    df, missing = _read(con, table, f"""
        select trade_date, ibit_put_contracts, ibit_call_contracts, {record_cols} data_mode
        from marts.{table}
        where trade_date between ? and ? order by trade_date""", [window.start, window.end])
    if missing:
        return missing
    df = df[df["ibit_put_contracts"].notna() | df["ibit_call_contracts"].notna()].copy()
    if df.empty:
        return no_data(f"marts.{table}", "has no IBIT option volume in the window")
    df["trade_date"] = _dates(df["trade_date"])
    if "is_record_total" not in df.columns:
        total = df["ibit_put_contracts"].fillna(0) + df["ibit_call_contracts"].fillna(0)
        df["is_record_total"] = total > total.cummax().shift(1).fillna(-1)
        df.loc[df.index[0], "is_record_total"] = False  # the first day shown is no record by itself
    return ChartData(df, _modes(df), _as_of(df), extra={"table": table, "source": f"marts.{table} ← raw.options_volume (occ-volume)"})


BASIS_TENORS = ("front", "30d", "60d", "90d", "120d")


def load_cme_basis(con, window: Window) -> ChartData:
    rolled = "is_rolled_series" if "is_rolled_series" in table_columns(con, "fct_cme_basis") else "false"
    df, missing = _read(con, "fct_cme_basis", f"""
        select trade_date, tenor, basis_annualized, is_extrapolated, {rolled} as is_rolled_series, data_mode
        from marts.fct_cme_basis
        where trade_date between ? and ? and basis_annualized is not null
        order by trade_date, tenor""", [window.start, window.end])
    if missing:
        return missing
    df["trade_date"] = _dates(df["trade_date"])
    return ChartData(df, _modes(df), _as_of(df))


def load_open_interest(con, window: Window) -> ChartData:
    table = "fct_open_interest_4pm_et"
    if not table_exists(con, table):
        return no_data(f"marts.{table}", "does not exist yet: run the dbt models")
    cols = table_columns(con, table)
    usd = _first_present(cols, "open_interest_usd", "oi_usd")
    if usd is None or "venue" not in cols:
        return no_data(f"marts.{table}", f"has no venue / open_interest_usd columns (has: {', '.join(cols)})")
    mode = ", data_mode" if "data_mode" in cols else ""
    df, missing = _read(con, table, f"""
        select trade_date, venue, {usd} as open_interest_usd{mode}
        from marts.{table}
        where trade_date between ? and ? and {usd} is not null
        order by trade_date, venue""", [window.start, window.end])
    if missing:
        return missing
    df["trade_date"] = _dates(df["trade_date"])
    return ChartData(df, _modes(df), _as_of(df))


def load_flows_vs_return(con, window: Window) -> ChartData:
    df, missing = _read(con, SNAPSHOT_MART, f"""
        select trade_date, ibit_flow_usd, total_etf_flow_usd, ibit_return, data_mode
        from marts.{SNAPSHOT_MART}
        where trade_date between ? and ? order by trade_date""", [window.start, window.end])
    if missing:
        return missing
    df = df[df["ibit_flow_usd"].notna() | df["total_etf_flow_usd"].notna()].copy()
    if df.empty:
        return no_data(f"marts.{SNAPSHOT_MART}", "has no ETF flows in the window")
    df["trade_date"] = _dates(df["trade_date"])
    notes = []
    if table_exists(con, "fct_etf_flows") and "expected_flow_usd" in table_columns(con, "fct_etf_flows"):
        expected = con.execute("""
            select trade_date, expected_flow_usd, data_mode as expected_data_mode from marts.fct_etf_flows
            where ticker = 'IBIT' and trade_date between ? and ?""", [window.start, window.end]).df()
        if len(expected):
            expected["trade_date"] = _dates(expected["trade_date"])
            df = df.merge(expected, on="trade_date", how="left")
            notes.append("expected IBIT flow from marts.fct_etf_flows (flow model on the day's and previous day's return)")
    modes = _modes(df) + (list(df["expected_data_mode"]) if "expected_data_mode" in df else [])
    return ChartData(df, modes, _as_of(df), notes=notes)


CORRELATION_PEERS = ("IGV", "GLD", "QQQ")


def load_correlations(con, window: Window) -> ChartData:
    table = "fct_cross_asset"
    if not table_exists(con, table):
        return no_data(f"marts.{table}", "does not exist yet: run the dbt models")
    cols = table_columns(con, table)
    corr = _first_present(cols, "corr_20d", "correlation_20d", "rolling_corr_20d")
    peer = _first_present(cols, "peer", "peer_symbol", "symbol")
    if corr is None or peer is None:
        return no_data(f"marts.{table}", f"has no peer / corr_20d columns (has: {', '.join(cols)})")
    mode = ", data_mode" if "data_mode" in cols else ""
    placeholders = ", ".join("?" for _ in CORRELATION_PEERS)
    df, missing = _read(con, table, f"""
        select trade_date, upper({peer}) as peer, {corr} as corr_20d{mode}
        from marts.{table}
        where trade_date between ? and ? and upper({peer}) in ({placeholders}) and {corr} is not null
        order by trade_date, peer""", [window.start, window.end, *CORRELATION_PEERS])
    if missing:
        return missing
    df["trade_date"] = _dates(df["trade_date"])
    return ChartData(df, _modes(df), _as_of(df))


def _end_of_new_york_day(day: date) -> datetime:
    """The end of `day` in New York, as naive UTC (the marts store instants as naive UTC)."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=NEW_YORK).astimezone(UTC).replace(tzinfo=None)


def load_dealer_gamma(con, window: Window) -> ChartData:
    """Net dealer gamma by strike at the latest snapshot on or before the window's anchor day (the
    `around` date when given, else the window's end), or else the first one after it within the
    window (the real data's one snapshot is two days after the crash), summed over expiries (and
    venues, on the BTC strike scale). The negative band is the summary mart's when it has one."""
    table = "fct_dealer_gamma"
    if not table_exists(con, table):
        return no_data(f"marts.{table}", "does not exist yet: run the dbt models")
    cols = table_columns(con, table)
    gex = _first_present(cols, "gex_usd_per_1pct", "gamma_usd_per_1pct")
    strike = _first_present(cols, "strike_btc_usd", "strike_usd", "strike")
    if gex is None or strike is None or "snapshot_utc" not in cols:
        return no_data(f"marts.{table}", f"has no snapshot_utc / strike / gex_usd_per_1pct columns (has: {', '.join(cols)})")
    anchor = window.around or window.end
    cutoff = _end_of_new_york_day(anchor)
    latest = con.execute(f"select max(snapshot_utc) from marts.{table} where snapshot_utc < ?", [cutoff]).fetchone()[0]
    notes = []
    if latest is None:
        latest = con.execute(f"select min(snapshot_utc) from marts.{table} where snapshot_utc >= ? and snapshot_utc < ?",
                             [cutoff, _end_of_new_york_day(max(window.end, anchor))]).fetchone()[0]
        notes.append(f"no option-chain snapshot on or before {anchor.isoformat()}: the first one after it")
    if latest is None:
        return no_data(f"marts.{table}", f"has no snapshot on or before {anchor.isoformat()} or in the window")
    spot_col = _first_present(cols, "underlying_price_btc_usd", "underlying_price_usd", "spot_usd")
    spot = f", max({spot_col}) as spot_usd" if spot_col else ""
    mode = ", string_agg(distinct data_mode, ',') as data_mode" if "data_mode" in cols else ""
    venues = ", string_agg(distinct venue, ', ') as venues" if "venue" in cols else ""
    df, missing = _read(con, table, f"""
        select {strike} as strike, sum({gex}) as gex_usd_per_1pct{spot}{mode}{venues}
        from marts.{table}
        where snapshot_utc = ? and {strike} is not null
        group by {strike} order by {strike}""", [latest])
    if missing:
        return missing
    modes = []
    if "data_mode" in df.columns:
        modes = [m for joined in df["data_mode"].dropna() for m in str(joined).split(",")]
    snapshot = pd.Timestamp(latest).tz_localize("UTC")
    extra = {
        "snapshot_utc": snapshot,
        "spot_usd": float(df["spot_usd"].dropna().iloc[0]) if "spot_usd" in df and df["spot_usd"].notna().any() else None,
        "convention": GAMMA_SIGN_CONVENTION if gex == "gex_usd_per_1pct" else f"as in marts.{table}.{gex}",
        "band": _summary_band(con, latest),
        "venues": ", ".join(sorted({v for vs in df.get("venues", pd.Series(dtype=object)).dropna() for v in str(vs).split(", ")})),
    }
    return ChartData(df, modes, snapshot.tz_convert(NEW_YORK).strftime("%Y-%m-%d %H:%M ET"), notes=notes, extra=extra)


def load_dealer_gamma_beside(con, window: Window, other: Path) -> ChartData:
    """This warehouse's dealer-gamma profile and, beside it, the one of `other` (another warehouse,
    e.g. the simulated demo's beside the real data's) at its latest snapshot on or before the same
    day, else its latest; each keeps its own data modes (`extra["panels"]`)."""
    this = load_dealer_gamma(con, window)
    anchor = (pd.Timestamp(this.extra["snapshot_utc"]).tz_convert(NEW_YORK).date() if not this.empty
              else window.around or window.end)
    try:
        with Warehouse(Path(other)).reader() as other_con:
            beside = load_dealer_gamma(other_con, Window(anchor, anchor, anchor))
            if beside.empty:
                beside = load_dealer_gamma(other_con, resolve_window(other_con))
    except (FileNotFoundError, WarehouseLocked) as exc:
        beside = ChartData(frame=pd.DataFrame(), reason=f"no data beside ({exc})")
    if this.empty and beside.empty:
        return ChartData(frame=pd.DataFrame(), reason=f"{this.reason}; beside: {beside.reason}")
    return ChartData(frame=this.frame if not this.empty else beside.frame, modes=this.modes + beside.modes,
                     as_of=f"{this.as_of or 'no data'}, beside {beside.as_of or 'no data'}",
                     extra={"panels": (this, beside), "beside": Path(other).name,
                            "convention": GAMMA_SIGN_CONVENTION})


# fct_dealer_gamma.gex_usd_per_1pct: the S0 (equity) convention of the mart
GAMMA_SIGN_CONVENTION = ("S0, equity convention: dealers long calls, short puts (GEX = call - put); "
                         "+ = dealers long gamma, hedging dampens moves; - = dealers short gamma, hedging adds to moves")


def _summary_band(con, snapshot) -> tuple[float, float] | None:
    table = "fct_dealer_gamma_summary"
    if not table_exists(con, table):
        return None
    cols = table_columns(con, table)
    if not {"neg_gamma_band_low_strike", "neg_gamma_band_high_strike"} <= set(cols):
        return None
    row = con.execute(f"select neg_gamma_band_low_strike, neg_gamma_band_high_strike from marts.{table} "
                      "where snapshot_utc = ?", [snapshot]).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return None
    return float(row[0]), float(row[1])


def load_note_barriers(con, window: Window) -> ChartData:
    """IBIT's closes in the window and the principal barriers (knock-in, buffer) of the notes outstanding
    at some point of it, with their principal; the days a close crossed barriers."""
    daily, barriers = "fct_note_barriers_daily", "fct_note_barriers"
    closes, missing = _read(con, daily, f"""
        select trade_date, ibit_close_usd, barriers_breached, principal_breached_usd, breached_levels_usd, data_mode
        from marts.{daily}
        where trade_date between ? and ? order by trade_date""", [window.start, window.end])
    if missing:
        return missing
    bands, missing = _read(con, barriers, f"""
        select note_id, issuer, barrier_kind, barrier_level_usd, aggregate_principal_usd, pricing_date,
               outstanding_until, data_mode
        from marts.{barriers}
        where is_principal_barrier and barrier_level_usd is not null and pricing_date <= ?
          and coalesce(outstanding_until, ?) >= ?
        order by barrier_level_usd desc""", [window.end, window.end, window.start])
    if missing:
        return missing
    closes["trade_date"] = _dates(closes["trade_date"])
    for col in ("pricing_date", "outstanding_until"):
        bands[col] = pd.to_datetime(bands[col])
    extra = {"barriers": bands, "largest_principal_usd": float(bands["aggregate_principal_usd"].max())
             if bands["aggregate_principal_usd"].notna().any() else None}
    notes = [f"{bands['note_id'].nunique()} note(s) with a principal barrier outstanding in the window"]
    return ChartData(closes, _modes(closes) + _modes(bands), _as_of(closes), notes=notes, extra=extra)
