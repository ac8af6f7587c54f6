import io
from datetime import date

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from pipelines.report import charts, data
from pipelines.report.banner import MIXED, SIMULATED, banner_for
from pipelines.report.charts import build_figure, figure_texts, negative_bands, render_png
from pipelines.report.data import ChartData, Window
from pipelines.report.render import SPECS, build_report
from pipelines.warehouse import Warehouse

from .marts import CRASH, DAYS, all_marts, snapshot_frame

WINDOW = Window(DAYS[0], DAYS[-1], None)
SPEC = {s.slug: s for s in SPECS}


def _volume_data(mode="simulated") -> ChartData:
    frame = snapshot_frame(mode)
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    extra = {"record_date": pd.Timestamp(CRASH), "record_usd": 10.5e9, "previous_record_date": None,
             "previous_record_usd": None, "history_start": DAYS[0].isoformat()}
    return ChartData(frame, list(frame["data_mode"]), DAYS[-1].isoformat(), extra=extra)


def test_a_chart_is_a_png_of_fixed_size_with_title_units_source_and_as_of():
    spec = SPEC["ibit_dollar_volume"]
    chart = _volume_data()
    png = render_png(spec, chart, WINDOW, banner_for(chart.modes))
    with Image.open(io.BytesIO(png)) as img:
        assert img.format == "PNG" and img.size == (1100, 600)
    texts = figure_texts(build_figure(spec, chart, WINDOW, banner_for(chart.modes)))
    assert spec.title in texts
    assert any(spec.units in t and f"as of {DAYS[-1].isoformat()}" in t for t in texts)
    assert any(t.startswith("Source: marts.fct_daily_snapshot_4pm_et") and "raw.daily_bars" in t for t in texts)
    assert any("record US$10.5 bn" in t for t in texts)  # the record is marked


def test_the_simulated_banner_is_on_the_image_itself_and_absent_on_real_data():
    spec = SPEC["ibit_dollar_volume"]
    simulated = figure_texts(build_figure(spec, _volume_data(), WINDOW, SIMULATED))
    assert "SIMULATED DATA — not market data" in simulated
    mixed = figure_texts(build_figure(spec, _volume_data("mixed"), WINDOW, MIXED))
    assert any(t.startswith("MIXED simulated and real") for t in mixed)
    real = _volume_data("real")
    real_texts = figure_texts(build_figure(spec, real, WINDOW, banner_for(real.modes)))
    assert not any("SIMULATED" in t or "MIXED" in t for t in real_texts)


def test_rendering_is_deterministic():
    spec = SPEC["ibit_dollar_volume"]
    assert render_png(spec, _volume_data(), WINDOW, SIMULATED) == render_png(spec, _volume_data(), WINDOW, SIMULATED)


def test_dollar_signs_in_text_are_not_mathtext():
    spec = SPEC["dealer_gamma_by_strike"]
    frame = pd.DataFrame({"strike": [60e3, 65e3, 70e3, 75e3], "gex_usd_per_1pct": [1e6, -5e6, -3e6, 2e6]})
    chart = ChartData(frame, ["real"], "2026-02-05 16:00 ET", extra={"spot_usd": 66e3, "band": None})
    png = render_png(spec, chart, WINDOW, None)  # units hold two "$": must not raise a mathtext error
    texts = figure_texts(build_figure(spec, chart, WINDOW, None))
    assert any("negative gamma band" in t and "65k–70k" in t for t in texts)
    assert any("S0, equity convention" in t for t in texts)  # the sign convention is named
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("strikes", "gex", "expected"),
    [
        ([1, 2, 3, 4, 5], [1, -1, -2, 1, -0.5], [(2.0, 3.0, -3.0), (5.0, 5.0, -0.5)]),
        ([1, 2, 3], [1, 2, 3], []),
        ([1, 2], [-1, -1], [(1.0, 2.0, -2.0)]),
    ],
)
def test_negative_bands_are_contiguous_runs_most_negative_first(strikes, gex, expected):
    assert negative_bands(np.array(strikes, float), np.array(gex, float)) == expected


def test_an_empty_table_gives_the_no_data_panel(marts_warehouse):
    path = marts_warehouse({"fct_daily_snapshot_4pm_et": snapshot_frame().iloc[0:0]})
    with Warehouse(path).reader() as con:
        loaded = data.load_ibit_dollar_volume(con, WINDOW)
        absent = data.load_cme_basis(con, WINDOW)
    assert loaded.empty
    assert loaded.reason == "no data for this chart (table marts.fct_daily_snapshot_4pm_et has no rows in the window)"
    assert absent.reason.startswith("no data for this chart (table marts.fct_cme_basis does not exist yet")
    texts = figure_texts(build_figure(SPEC["ibit_dollar_volume"], loaded, WINDOW, None))
    assert loaded.reason in texts
    assert SPEC["ibit_dollar_volume"].title in texts


def test_the_report_of_a_warehouse_without_marts_has_every_chart_as_a_no_data_panel(tmp_path, marts_warehouse):
    path = marts_warehouse({})
    report = build_report(path, out_dir=tmp_path / "reports", around=CRASH)
    assert [c.spec.slug for c in report.charts] == [s.slug for s in SPECS]
    assert not any(c.has_data for c in report.charts)
    assert all(c.path.is_file() for c in report.charts) and report.html_path.is_file()
    assert report.banner is None and "SIMULATED" not in report.html
    assert report.html.count("<figure") == len(SPECS)
    assert report.html.count("does not exist yet") == len(SPECS)


def test_the_report_reads_the_window_and_carries_the_banner(tmp_path, marts_warehouse):
    path = marts_warehouse({"fct_daily_snapshot_4pm_et": snapshot_frame("simulated")})
    report = build_report(path, out_dir=tmp_path / "reports", around=CRASH)
    assert report.window.around == CRASH and report.window.start < CRASH < report.window.end
    volume = report.charts[0]
    assert volume.has_data and volume.banner == SIMULATED
    assert volume.data.extra["record_date"] == pd.Timestamp(CRASH)
    assert report.banner == SIMULATED
    assert report.html.count("SIMULATED DATA — not market data") == 1  # once on the page (and on every PNG)
    assert report.html.count('data-banner="simulated"') == 3  # volume, options and flows read the daily mart
    assert "http://" not in report.html and "https://" not in report.html and "<script" not in report.html
    assert report.html.count('src="data:image/png;base64,') == len(SPECS)


def test_default_window_is_the_last_60_trading_days_of_the_daily_mart(marts_warehouse):
    from pipelines.timeutils import trading_days

    many = trading_days(date(2025, 6, 2), date(2026, 2, 13))
    frame = pd.concat([snapshot_frame()] * (len(many) // len(DAYS) + 1), ignore_index=True).iloc[:len(many)]
    frame["trade_date"] = many
    path = marts_warehouse({"fct_daily_snapshot_4pm_et": frame})
    with Warehouse(path).reader() as con:
        window = data.resolve_window(con)
        around = data.resolve_window(con, around=date(2026, 2, 7))  # a Saturday
    assert window.end == many[-1] and len(trading_days(window.start, window.end)) == 60
    days = trading_days(around.start, around.end)
    assert days[0] == _sessions_before(date(2026, 2, 9), 40) and days[-1] == many[-1]  # cut to the data's end
    assert charts.DayAxis(window).days[-1] == pd.Timestamp(many[-1])


def _sessions_before(day, n):
    from pipelines.timeutils import trading_days

    return trading_days(date(2025, 1, 1), day)[-1 - n]


def test_a_short_history_is_not_drawn_as_empty_space(marts_warehouse):
    path = marts_warehouse({"fct_daily_snapshot_4pm_et": snapshot_frame()})
    with Warehouse(path).reader() as con:
        assert data.resolve_window(con) == Window(DAYS[0], DAYS[-1], None)
        assert data.resolve_window(con, around=CRASH) == Window(DAYS[0], DAYS[-1], CRASH)
        outside = data.resolve_window(con, around=date(2025, 6, 2))  # no data there: the window stays whole
    assert outside.start < date(2025, 6, 2) < outside.end


def test_every_chart_draws_from_its_mart(tmp_path, marts_warehouse):
    path = marts_warehouse(all_marts("real"))
    report = build_report(path, out_dir=tmp_path / "reports", around=CRASH)
    assert {c.spec.slug: c.data.reason for c in report.charts if not c.has_data} == {}
    assert report.banner is None and all(c.banner is None for c in report.charts)
    by_slug = {c.spec.slug: c for c in report.charts}
    assert set(by_slug["rolling_correlations"].data.frame["peer"]) == {"IGV", "GLD", "QQQ"}
    gamma = by_slug["dealer_gamma_by_strike"]
    assert gamma.data.extra["band"] == (64e3, 71e3) and gamma.data.as_of == "2026-02-05 16:00 ET"
    assert "S0, equity convention" in report.html  # the sign convention is named on the page
    assert by_slug["etf_flows_vs_ibit_return"].data.frame["expected_flow_usd"].notna().all()


def _two_warehouses(tmp_path):
    from .marts import write_marts

    real = all_marts("real")
    real["fct_dealer_gamma"] = real["fct_dealer_gamma"].assign(
        snapshot_utc=pd.Timestamp("2026-02-07 18:39:23"), gex_usd_per_1pct=lambda f: f["gex_usd_per_1pct"] / 4)
    real["fct_dealer_gamma_summary"] = real["fct_dealer_gamma_summary"].assign(
        snapshot_utc=pd.Timestamp("2026-02-07 18:39:23"))
    return write_marts(tmp_path / "real.duckdb", real), write_marts(tmp_path / "demo.duckdb", all_marts("simulated"))


def test_the_dealer_gamma_profile_beside_another_warehouses_each_labelled_with_its_mode(tmp_path):
    real, demo = _two_warehouses(tmp_path)
    report = build_report(real, out_dir=tmp_path / "reports", around=CRASH, beside=demo)
    assert report.banner is None  # the page is this warehouse's: real
    chart = next(c for c in report.charts if c.spec.slug == "dealer_gamma_beside")
    assert chart.has_data and chart.banner == MIXED and chart.path.is_file()
    this, other = chart.data.extra["panels"]
    assert set(this.modes) == {"real"} and set(other.modes) == {"simulated"}
    assert this.as_of == "2026-02-07 13:39 ET" and other.as_of == "2026-02-05 16:00 ET"  # its latest by 02-07
    assert this.notes == ["no option-chain snapshot on or before 2026-02-05: the first one after it"]
    assert this.frame["gex_usd_per_1pct"].min() == pytest.approx(-2e6) and other.frame["gex_usd_per_1pct"].min() == -8e6
    texts = figure_texts(build_figure(chart.spec, chart.data, report.window, chart.banner))
    assert any(t.startswith("REAL DATA (this warehouse): Deribit, 2026-02-07 13:39 ET") for t in texts)
    assert any(t.startswith("SIMULATED DATA (demo.duckdb): Deribit, 2026-02-05 16:00 ET") for t in texts)
    assert any(t.startswith("MIXED simulated and real") for t in texts)  # the image's own banner
    assert charts.SIGN_NOTE in texts
    # the demo's report beside the real data: the page stays SIMULATED
    reverse = build_report(demo, out_dir=tmp_path / "reports2", around=CRASH, beside=real)
    assert reverse.banner == SIMULATED
    assert next(c for c in reverse.charts if c.spec.slug == "dealer_gamma_beside").banner == MIXED


def test_beside_a_warehouse_without_gamma_or_absent_the_panel_says_why(tmp_path, marts_warehouse):
    real, _ = _two_warehouses(tmp_path)
    empty = marts_warehouse({"fct_daily_snapshot_4pm_et": snapshot_frame("simulated")})
    for other, reason in ((empty, "does not exist yet"), (tmp_path / "absent.duckdb", "does not exist yet")):
        report = build_report(real, out_dir=tmp_path / "r", around=CRASH, beside=other)
        chart = next(c for c in report.charts if c.spec.slug == "dealer_gamma_beside")
        this, beside = chart.data.extra["panels"]
        assert chart.has_data and not this.empty and beside.empty and reason in beside.reason
        texts = figure_texts(build_figure(chart.spec, chart.data, report.window, chart.banner))
        assert any(t.startswith("REAL DATA (this warehouse)") for t in texts)
        assert any(t.startswith(f"NO DATA ({other.name}): no snapshot") for t in texts)  # no mode claimed


def test_the_gamma_view_leaves_out_only_far_strikes_with_nil_gamma():
    strikes = np.array([20e3, 60e3, 65e3, 70e3, 75e3, 350e3])
    gex = np.array([0.001, -5.0, -9.0, 3.0, 4.0, 0.002])
    assert charts.strike_view(strikes, gex) == (60e3, 75e3)  # 99.5 % of |gamma| lies there
    assert charts.strike_view(strikes[1:5], gex[1:5]) is None  # nothing to leave out
    assert charts.strike_view(strikes, np.zeros(6)) is None
    frame = pd.DataFrame({"strike": strikes, "gex_usd_per_1pct": gex * 1e6})
    texts = figure_texts(build_figure(SPEC["dealer_gamma_by_strike"], ChartData(frame, ["real"], "x"), WINDOW, None))
    assert "2 strikes outside the view hold 0.0% of |gamma|" in texts
