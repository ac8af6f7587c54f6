"""The charts: each draws one `ChartData` on an axes; `render_png` frames it (banner, title, units,
source, as-of date) and returns deterministic PNG bytes.

Matplotlib's object API on an Agg canvas only (no pyplot, no global backend switch), the default
style, a fixed figure size and dpi, and no Software/date metadata in the PNG: the same data give the
same bytes."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib
import matplotlib.lines
import matplotlib.patches
import matplotlib.style
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pipelines.report.banner import Banner, banner_for
from pipelines.report.data import BASIS_TENORS, CORRELATION_PEERS, ChartData, Window
from pipelines.timeutils import trading_days

FIG_SIZE = (11.0, 6.0)  # inches
DPI = 100
AXES_RECT = (0.08, 0.17, 0.84, 0.60)
PUT_COLOR, CALL_COLOR = "#c0392b", "#1e8449"
POS_COLOR, NEG_COLOR = "#2e86c1", "#c0392b"


@dataclass(frozen=True)
class ChartSpec:
    slug: str
    title: str
    units: str
    source: str  # the mart(s) and the raw tables / upstream sources behind them
    event_link: str  # which EVENT.md link this chart backs
    load: Callable  # (con, Window) -> ChartData
    draw: Callable  # (Axes, ChartData, Window) -> None


# -- time axis -----------------------------------------------------------------------------
class DayAxis:
    """Trading days of the window as positions 0..n-1 (no weekend gaps), with date labels."""

    def __init__(self, window: Window):
        self.days = [pd.Timestamp(d) for d in trading_days(window.start, window.end)]
        self.index = {d: i for i, d in enumerate(self.days)}
        self.around = pd.Timestamp(window.around) if window.around else None

    def x(self, dates: pd.Series) -> np.ndarray:
        return np.array([self.index.get(pd.Timestamp(d).normalize(), np.nan) for d in dates], dtype=float)

    def dress(self, ax) -> None:
        n = len(self.days)
        step = max(1, int(np.ceil(n / 12)))
        ticks = list(range(0, n, step))
        ax.set_xticks(ticks)
        labels, year = [], None
        for i in ticks:  # the year under the first tick and wherever it changes
            day = self.days[i]
            labels.append(day.strftime("%b %d") + (f"\n{day.year}" if day.year != year else ""))
            year = day.year
        ax.set_xticklabels(labels, fontsize=8)
        ax.set_xlim(-0.7, n - 0.3)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        if self.around is not None and self.around in self.index:
            pos = self.index[self.around]
            ax.axvline(pos, color="#555555", linestyle=":", linewidth=1)
            ax.annotate(self.around.strftime("%b %d"), (pos, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(0, 3), textcoords="offset points", fontsize=8, color="#555555", ha="center")


def _usd(value: float, unit: str = "bn") -> str:
    div = {"bn": 1e9, "m": 1e6}[unit]
    return f"US${value / div:,.1f} {unit}"


# -- the charts ------------------------------------------------------------------------------
def draw_ibit_dollar_volume(ax, data: ChartData, window: Window) -> None:
    axis = DayAxis(window)
    df = data.frame
    x = axis.x(df["trade_date"])
    record_date = data.extra.get("record_date")
    colors = ["#e67e22" if d == record_date else "#5d6d7e" for d in df["trade_date"]]
    ax.bar(x, df["ibit_dollar_volume"] / 1e9, color=colors, width=0.8)
    axis.dress(ax)
    ax.set_ylabel("US$ billion traded")
    prev_date = data.extra.get("previous_record_date")
    prev_text = (f"; previous record {_usd(data.extra['previous_record_usd'])} on {prev_date:%Y-%m-%d}"
                 if prev_date is not None else "")
    if record_date is not None and record_date in axis.index:
        pos = axis.index[record_date]
        ax.annotate(f"record {_usd(data.extra['record_usd'])}\n{record_date:%Y-%m-%d}", (pos, data.extra["record_usd"] / 1e9),
                    xytext=(0, 6), textcoords="offset points", ha="center", fontsize=9, fontweight="bold", color="#a04000")
        if prev_date is not None and prev_date in axis.index:
            ax.axhline(data.extra["previous_record_usd"] / 1e9, color="#a04000", linestyle="--", linewidth=0.8)
    elif record_date is not None:
        ax.text(0.01, 0.95, f"record {_usd(data.extra['record_usd'])} on {record_date:%Y-%m-%d} (outside the window)",
                transform=ax.transAxes, fontsize=8, va="top")
    ax.set_ylim(0, max(df["ibit_dollar_volume"].max() / 1e9 * 1.2, 0.1))
    ax.text(0.01, 0.98 if record_date in axis.index else 0.88,
            f"record = highest since {data.extra.get('history_start', '?')} (first day in the mart){prev_text}",
            transform=ax.transAxes, fontsize=8, va="top", color="#444444")


def draw_ibit_options(ax, data: ChartData, window: Window) -> None:
    axis = DayAxis(window)
    df = data.frame
    x = axis.x(df["trade_date"])
    puts = df["ibit_put_contracts"].fillna(0) / 1e6
    calls = df["ibit_call_contracts"].fillna(0) / 1e6
    ax.bar(x - 0.2, puts, width=0.4, color=PUT_COLOR, label="puts")
    ax.bar(x + 0.2, calls, width=0.4, color=CALL_COLOR, label="calls")
    axis.dress(ax)
    ax.set_ylabel("million contracts")
    top = float(max(puts.max(), calls.max(), 1e-6))
    ax.set_ylim(0, top * 1.25)
    records = df[df["is_record_total"].fillna(False).astype(bool)]
    for _, row in records.iterrows():
        pos = axis.index.get(row["trade_date"])
        if pos is None:
            continue
        total = (np.nan_to_num(row["ibit_put_contracts"]) + np.nan_to_num(row["ibit_call_contracts"])) / 1e6
        ax.annotate(f"record total\n{total:,.2f} m", (pos, max(row["ibit_put_contracts"], row["ibit_call_contracts"]) / 1e6),
                    xytext=(0, 5), textcoords="offset points", ha="center", fontsize=8, fontweight="bold")
    ax.legend(loc="upper left", fontsize=9, frameon=False)


def draw_cme_basis(ax, data: ChartData, window: Window) -> None:
    axis = DayAxis(window)
    df = data.frame
    colors = dict(zip(BASIS_TENORS, ["#000000", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"]))
    for tenor in BASIS_TENORS:
        rows = df[df["tenor"] == tenor]
        if rows.empty:
            continue
        x = axis.x(rows["trade_date"])
        y = rows["basis_annualized"] * 100
        ax.plot(x, y, color=colors[tenor], linewidth=2.0 if tenor == "front" else 1.3, label=tenor, marker="o", markersize=2.5)
        extrapolated = rows["is_extrapolated"].fillna(False).astype(bool).to_numpy()
        if extrapolated.any():
            ax.plot(x[extrapolated], y[extrapolated], linestyle="none", marker="o", markersize=6,
                    markerfacecolor="white", markeredgecolor=colors[tenor])
    axis.dress(ax)
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_ylabel("annualized basis, % a year")
    rolled = df[(df["tenor"] == "front") & df["is_rolled_series"].fillna(False).astype(bool)]
    if len(rolled):
        ax.plot(axis.x(rolled["trade_date"]), rolled["basis_annualized"] * 100, linestyle="none", marker="s",
                markersize=5, markerfacecolor="none", markeredgecolor="#7f8c8d")
        ax.text(0.99, 0.97, f"square = front from the rolled continuous series\n({len(rolled)} days): approximate near rolls",
                transform=ax.transAxes, ha="right", va="top", fontsize=8, color="#555555",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    ax.legend(loc="upper left", fontsize=9, frameon=False, ncol=5, title="tenor (open circle = extrapolated)",
              title_fontsize=8)


def draw_open_interest(ax, data: ChartData, window: Window) -> None:
    axis = DayAxis(window)
    df = data.frame
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    for i, (venue, rows) in enumerate(sorted(df.groupby("venue"), key=lambda kv: str(kv[0]))):
        ax.plot(axis.x(rows["trade_date"]), rows["open_interest_usd"] / 1e9, marker="o", markersize=3,
                linewidth=1.5, color=palette[i % len(palette)], label=str(venue))
    axis.dress(ax)
    ax.set_ylabel("US$ billion open interest")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=9, frameon=False, ncol=4)


def draw_flows_vs_return(ax, data: ChartData, window: Window) -> None:
    axis = DayAxis(window)
    df = data.frame
    x = axis.x(df["trade_date"])
    ibit = df["ibit_flow_usd"] / 1e6
    others = (df["total_etf_flow_usd"] - df["ibit_flow_usd"]) / 1e6
    ax.bar(x - 0.2, ibit.fillna(0), width=0.4, color="#2e86c1", label="IBIT flow")
    ax.bar(x + 0.2, others.fillna(0), width=0.4, color="#aab7b8", label="other US spot ETFs")
    if "expected_flow_usd" in df.columns and df["expected_flow_usd"].notna().any():
        ax.plot(x - 0.2, df["expected_flow_usd"] / 1e6, linestyle="none", marker="_", markersize=10,
                markeredgewidth=2, color="#000000", label="IBIT expected flow (given the returns)")
    ax.axhline(0, color="#888888", linewidth=0.8)
    axis.dress(ax)
    ax.set_ylabel("net flow, US$ million (+ = creations)")
    ret_ax = ax.twinx()
    ret_ax.plot(x, df["ibit_return"] * 100, color="#d35400", marker="o", markersize=3, linewidth=1.3, label="IBIT return")
    ret_ax.set_ylabel("IBIT close-to-close return, %", color="#d35400")
    ret_ax.tick_params(axis="y", colors="#d35400")
    lim = float(np.nanmax(np.abs(df["ibit_return"].to_numpy(dtype=float)))) * 100 if df["ibit_return"].notna().any() else 1.0
    ret_ax.set_ylim(-lim * 1.2, lim * 1.2)
    flows = np.concatenate([ibit.dropna().to_numpy(), others.dropna().to_numpy(), [1.0]])
    flim = float(np.max(np.abs(flows)))
    ax.set_ylim(-flim * 1.45, flim * 1.45)
    ret_ax.set_ylim(-lim * 1.45, lim * 1.45)
    handles = ax.get_legend_handles_labels()
    ret_handles = ret_ax.get_legend_handles_labels()
    ax.legend(handles[0] + ret_handles[0], handles[1] + ret_handles[1], loc="upper left", fontsize=8, frameon=False, ncol=4)


def draw_correlations(ax, data: ChartData, window: Window) -> None:
    axis = DayAxis(window)
    df = data.frame
    colors = dict(zip(CORRELATION_PEERS, ["#8e44ad", "#d4ac0d", "#17a589"]))
    for peer in CORRELATION_PEERS:
        rows = df[df["peer"] == peer]
        if len(rows):
            ax.plot(axis.x(rows["trade_date"]), rows["corr_20d"], color=colors[peer], linewidth=1.6, label=f"IBIT vs {peer}")
    axis.dress(ax)
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("20-day correlation of daily returns")
    ax.legend(loc="lower left", fontsize=9, frameon=False, ncol=3)


def negative_bands(strikes: np.ndarray, gex: np.ndarray) -> list[tuple[float, float, float]]:
    """Contiguous runs of strikes with net negative gamma: (low strike, high strike, summed gamma),
    most negative first."""
    bands, start, total = [], None, 0.0
    for i, (k, g) in enumerate(zip(strikes, gex)):
        if g < 0:
            if start is None:
                start, total = i, 0.0
            total += g
        if start is not None and (g >= 0 or i == len(strikes) - 1):
            end = i if g < 0 else i - 1
            bands.append((float(strikes[start]), float(strikes[end]), total))
            start = None
    return sorted(bands, key=lambda b: b[2])


VIEW_SHARE = 0.995  # the gamma chart shows the strikes holding this share of |gamma|


def strike_view(strikes: np.ndarray, gex: np.ndarray, share: float = VIEW_SHARE) -> tuple[float, float] | None:
    """The strike range holding `share` of the chain's absolute gamma (the largest lines first), or
    None when that is every strike: a real chain lists strikes far out (350k on a 69k spot) whose
    gamma is nil, and they would squeeze the profile into a corner."""
    weight = np.abs(gex)
    if weight.sum() <= 0:
        return None
    order = np.argsort(-weight, kind="stable")
    needed = int(np.searchsorted(np.cumsum(weight[order]) / weight.sum(), share)) + 1
    kept = strikes[order[:needed]]
    low, high = float(kept.min()), float(kept.max())
    return None if low <= strikes.min() and high >= strikes.max() else (low, high)


SIGN_NOTE = ("sign (S0, equity convention: dealers long calls, short puts): "
             "+ dealers long gamma, hedging dampens moves; \u2212 dealers short gamma, hedging adds to moves")


def draw_dealer_gamma(ax, data: ChartData, window: Window, sign_note: bool = True) -> None:
    df = data.frame.sort_values("strike")
    strikes = df["strike"].to_numpy(dtype=float)
    gex = df["gex_usd_per_1pct"].to_numpy(dtype=float) / 1e6
    diffs = np.diff(strikes)
    width = float(np.min(diffs[diffs > 0])) * 0.8 if (diffs > 0).any() else 500.0
    ax.bar(strikes / 1e3, gex, width=width / 1e3, color=[POS_COLOR if g >= 0 else NEG_COLOR for g in gex])
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_xlabel("strike, US$ thousand per BTC")
    ax.set_ylabel("net dealer gamma, US$ million per 1% move")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    view = strike_view(strikes, gex)
    if view is not None:
        outside = (strikes < view[0]) | (strikes > view[1])
        ax.set_xlim((view[0] - 2 * width) / 1e3, (view[1] + 2 * width) / 1e3)
        ax.text(0.99, 0.98, f"{int(outside.sum())} strikes outside the view hold "
                f"{np.abs(gex[outside]).sum() / np.abs(gex).sum():.1%} of |gamma|", transform=ax.transAxes,
                ha="right", va="top", fontsize=8, color="#555555")
    band = data.extra.get("band")
    if band is None:
        bands = negative_bands(strikes, gex)
        band = bands[0][:2] if bands else None
    if band is not None:
        low, high = band
        pad = width / 2
        ax.axvspan((low - pad) / 1e3, (high + pad) / 1e3, color=NEG_COLOR, alpha=0.10, zorder=0)
        ax.annotate(f"negative gamma band\n{low / 1e3:,.0f}k–{high / 1e3:,.0f}k  \u2192", ((low - pad) / 1e3, 0.30),
                    xycoords=("data", "axes fraction"), xytext=(-12, 0), textcoords="offset points", ha="right",
                    va="center", fontsize=9, color=NEG_COLOR, fontweight="bold")
    if sign_note:
        ax.text(0.01, 1.015, SIGN_NOTE, transform=ax.transAxes, fontsize=8, color="#333333", va="bottom")
    spot = data.extra.get("spot_usd")
    if spot:
        ax.axvline(spot / 1e3, color="#000000", linestyle="--", linewidth=1)
        ax.annotate(f"spot {spot / 1e3:,.1f}k", (spot / 1e3, 0.02), xycoords=("data", "axes fraction"),
                    xytext=(3, 0), textcoords="offset points", fontsize=8)


def draw_dealer_gamma_beside(ax, data: ChartData, window: Window) -> None:
    """Two profiles side by side (this warehouse's, then the other's), each panel titled with its own
    data mode in its banner colour, so real and simulated never read as one."""
    left, bottom, width, _ = AXES_RECT
    gap, height = 0.07, 0.52
    half = (width - gap) / 2
    ax.set_position((left, bottom, half, height))
    panels = (ax, ax.figure.add_axes((left + half + gap, bottom, half, height)))
    for panel, part, whose in zip(panels, data.extra["panels"], ("this warehouse", data.extra["beside"])):
        banner = banner_for(part.modes)
        seen = {str(m).strip().lower() for m in part.modes if isinstance(m, str)}
        # REAL only when the panel's rows say so: an empty or absent panel has no mode to claim
        mode = banner.kind.upper() if banner else ("REAL" if seen & {"real", "live"} else "NO")
        if part.empty:
            panel.set_axis_off()
            panel.text(0.5, 0.5, part.reason or "no data", ha="center", va="center", fontsize=9, wrap=True,
                       transform=panel.transAxes)
        else:
            draw_dealer_gamma(panel, part, window, sign_note=False)
        venues = f"{part.extra['venues']}, " if part.extra.get("venues") else ""
        panel.set_title(f"{mode} DATA ({whose}): {venues}{part.as_of or 'no snapshot'}", fontsize=9.5,
                        fontweight="bold", color=banner.color if banner else "#1c2833")
    ax.figure.text(0.04, 0.80, SIGN_NOTE, fontsize=8, color="#333333", va="bottom")


KIND_COLORS = {"knock_in": "#c0392b", "buffer": "#d68910"}
MAX_BAND_WIDTH = 12.0  # points, for the largest principal
CLUSTER_GAP = 0.02  # barriers closer than 2% share one label
MAX_BREACH_LABELS = 2


def _issuer_short(issuer: str) -> str:
    words = str(issuer).replace(",", " ").split()
    return " ".join(words[:2]) if words[:1] == ["Morgan"] else (words[0] if words else "?")


def barrier_clusters(levels: list[float], gap: float = CLUSTER_GAP) -> list[list[int]]:
    """Indices of `levels` (sorted high to low) grouped where neighbours are within `gap` of each other."""
    clusters: list[list[int]] = []
    for i, level in enumerate(levels):
        if clusters and levels[clusters[-1][-1]] - level <= gap * level:
            clusters[-1].append(i)
        else:
            clusters.append([i])
    return clusters


def _cluster_label(rows) -> str:
    principal = rows["aggregate_principal_usd"].sum(min_count=1)
    size = "" if pd.isna(principal) else f" · US${principal / 1e6:,.0f} m"
    if len(rows) == 1:
        row = rows.iloc[0]
        return f"{_issuer_short(row['issuer'])} ${row['barrier_level_usd']:,.2f}{size}"
    lo, hi = rows["barrier_level_usd"].min(), rows["barrier_level_usd"].max()
    return f"{len(rows)} notes ${lo:,.2f}–{hi:,.2f}{size}"


def draw_note_barriers(ax, data: ChartData, window: Window) -> None:
    axis = DayAxis(window)
    closes = data.frame
    bands = data.extra["barriers"].sort_values("barrier_level_usd", ascending=False).reset_index(drop=True)
    largest = data.extra.get("largest_principal_usd") or 0.0
    n = len(axis.days)
    first_day, last_day = axis.days[0], axis.days[-1]
    for band in bands.itertuples(index=False):
        start = max(pd.Timestamp(band.pricing_date), first_day)
        end = min(pd.Timestamp(band.outstanding_until), last_day) if pd.notna(band.outstanding_until) else last_day
        inside = [k for k, d in enumerate(axis.days) if start <= d <= end]
        if not inside:
            continue
        principal = band.aggregate_principal_usd
        width = 1.0 if pd.isna(principal) or not largest else 1.0 + (MAX_BAND_WIDTH - 1.0) * principal / largest
        ax.hlines(band.barrier_level_usd, inside[0] - 0.5, inside[-1] + 0.5, colors=KIND_COLORS.get(band.barrier_kind, "#7f8c8d"),
                  linewidth=width, alpha=0.45, zorder=1)
    for cluster in barrier_clusters(list(bands["barrier_level_usd"])):
        rows = bands.iloc[cluster]
        ax.annotate(_cluster_label(rows), (n - 0.2, rows["barrier_level_usd"].mean()), fontsize=7.5, va="center",
                    color="#555555", annotation_clip=False)
    x = axis.x(closes["trade_date"])
    ax.plot(x, closes["ibit_close_usd"], color="#1c2833", linewidth=1.8, marker="o", markersize=2.5, zorder=3)
    breached = closes[closes["barriers_breached"].fillna(0) > 0]
    # the days that crossed the most barriers (then the most principal) get their levels written out
    labelled = set(breached.sort_values(["barriers_breached", "principal_breached_usd"], ascending=False, kind="stable")
                   .index[:MAX_BREACH_LABELS])
    for idx, row in breached.iterrows():
        pos = axis.index.get(row["trade_date"])
        if pos is None:
            continue
        ax.plot([pos], [row["ibit_close_usd"]], marker="v", color=KIND_COLORS["knock_in"], markersize=9, zorder=4)
        if idx in labelled:
            ax.annotate(f"{row['trade_date']:%b %d}: {int(row['barriers_breached'])} breached "
                        f"({row['breached_levels_usd']})\nUS${row['principal_breached_usd'] / 1e6:,.1f} m of principal",
                        (pos, row["ibit_close_usd"]), xytext=(0, -14), textcoords="offset points", ha="center", va="top",
                        fontsize=7.5, color=KIND_COLORS["knock_in"], fontweight="bold", zorder=2.5,
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    axis.dress(ax)
    ax.set_xlim(-0.7, n + max(12, n * 0.22))  # room for the barrier labels on the right
    levels = np.concatenate([closes["ibit_close_usd"].dropna().to_numpy(float), bands["barrier_level_usd"].to_numpy(float)])
    lo, hi = float(levels.min()), float(levels.max())
    ax.set_ylim(lo - (hi - lo) * 0.15 - 0.5, hi + (hi - lo) * 0.08 + 0.5)
    ax.set_ylabel("US$ per IBIT share")
    legend = [matplotlib.lines.Line2D([], [], color="#1c2833", linewidth=1.8, label="IBIT close"),
              matplotlib.lines.Line2D([], [], color=KIND_COLORS["knock_in"], marker="v", linestyle="none",
                                      label="close crossed barriers")]
    legend += [matplotlib.lines.Line2D([], [], color=c, linewidth=6, alpha=0.45, label=f"{k.replace('_', '-')} barrier")
               for k, c in KIND_COLORS.items() if (bands["barrier_kind"] == k).any()]
    ax.legend(handles=legend, loc="upper right", fontsize=8, frameon=False,
              title=f"band thickness ∝ note principal (largest US${largest / 1e6:,.0f} m)" if largest else None,
              title_fontsize=7.5)


# -- framing -----------------------------------------------------------------------------------
def _frame(fig: Figure, spec: ChartSpec, data: ChartData, window: Window, banner: Banner | None) -> None:
    if banner is not None:
        strip = fig.add_axes((0, 0.93, 1, 0.07))
        strip.set_axis_off()
        strip.add_patch(matplotlib.patches.Rectangle((0, 0), 1, 1, transform=strip.transAxes, color=banner.color))
        strip.text(0.5, 0.5, banner.text, ha="center", va="center", color="white", fontsize=14, fontweight="bold",
                   transform=strip.transAxes)
    fig.text(0.04, 0.875, spec.title, fontsize=14, fontweight="bold", va="bottom")
    as_of = f"as of {data.as_of}" if data.as_of else "as of: no data"
    fig.text(0.04, 0.835, f"{spec.units}   ·   {as_of}", fontsize=9.5, va="bottom", color="#333333")
    fig.text(0.96, 0.02, f"window {window.label()}, NYSE trading days", fontsize=8, color="#555555", ha="right")
    fig.text(0.04, 0.055, f"Source: {data.extra.get('source') or spec.source}", fontsize=8, color="#333333")
    fig.text(0.04, 0.02, f"Backs EVENT.md: {spec.event_link}", fontsize=8, color="#555555")


RC = {"text.parse_math": False, "font.family": "DejaVu Sans"}  # "$" in units is text, never mathtext


def render_png(spec: ChartSpec, data: ChartData, window: Window, banner: Banner | None) -> bytes:
    with matplotlib.style.context("default"), matplotlib.rc_context(RC):
        fig = build_figure(spec, data, window, banner)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def build_figure(spec: ChartSpec, data: ChartData, window: Window, banner: Banner | None) -> Figure:
    """The framed chart, or the framed "no data" panel when there is nothing to draw."""
    with matplotlib.style.context("default"), matplotlib.rc_context(RC):
        fig = Figure(figsize=FIG_SIZE, dpi=DPI, facecolor="white")
        FigureCanvasAgg(fig)
        _frame(fig, spec, data, window, banner)
        ax = fig.add_axes(AXES_RECT)
        if data.empty:
            ax.set_axis_off()
            ax.add_patch(matplotlib.patches.Rectangle((0, 0), 1, 1, transform=ax.transAxes, facecolor="#f4f6f7",
                                                      edgecolor="#aab7b8"))
            ax.text(0.5, 0.5, data.reason or "no data for this chart", ha="center", va="center", fontsize=12,
                    transform=ax.transAxes, wrap=True)
        else:
            spec.draw(ax, data, window)
        if banner is not None:
            ax.text(0.5, 0.5, banner.kind.upper(), transform=ax.transAxes, ha="center", va="center", fontsize=70,
                    color=banner.color, alpha=0.07, rotation=20, fontweight="bold", zorder=0)
    return fig


def figure_texts(fig: Figure) -> list[str]:
    """Every text drawn on the figure (titles, banner, labels, annotations): what a reader can see."""
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]
