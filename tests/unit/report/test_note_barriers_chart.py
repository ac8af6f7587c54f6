"""The note-barrier chart: IBIT's close with the principal barriers of the notes outstanding in the
window, bands weighted by principal, the days the close crossed them, the banner when simulated."""
from datetime import date

import pandas as pd

from pipelines.report import data
from pipelines.report.banner import banner_for
from pipelines.report.charts import barrier_clusters, build_figure, figure_texts
from pipelines.report.data import Window
from pipelines.report.render import SPECS
from pipelines.warehouse import Warehouse

from .marts import CRASH, DAYS, note_barrier_marts, write_marts

SPEC = {s.slug: s for s in SPECS}["note_barriers"]
WINDOW = Window(DAYS[0], DAYS[-1], CRASH)


def _marts(mode="simulated", extra_barriers=None):
    barriers, daily = note_barrier_marts(mode)
    if extra_barriers is not None:
        barriers = pd.concat([barriers, extra_barriers], ignore_index=True)
    return {"fct_note_barriers": barriers, "fct_note_barriers_daily": daily}


def test_only_barriers_outstanding_in_the_window_are_loaded(marts_warehouse):
    matured = pd.DataFrame({"note_id": ["OLD"], "issuer": ["UBS AG"], "barrier_kind": ["knock_in"],
                            "is_principal_barrier": True, "barrier_level_usd": [30.0],
                            "aggregate_principal_usd": [9e6], "pricing_date": [date(2025, 1, 2)],
                            "outstanding_until": [date(2025, 12, 31)], "data_mode": ["simulated"]})
    later = matured.assign(note_id="LATER", pricing_date=date(2026, 3, 2), outstanding_until=date(2027, 3, 2))
    coupon = matured.assign(note_id="CPN", barrier_kind="coupon", is_principal_barrier=False,
                            pricing_date=date(2026, 1, 2), outstanding_until=date(2027, 1, 2))
    path = marts_warehouse(_marts(extra_barriers=pd.concat([matured, later, coupon])))
    with Warehouse(path).reader() as con:
        loaded = data.load_note_barriers(con, WINDOW)
    assert not loaded.empty
    assert sorted(loaded.extra["barriers"]["note_id"]) == ["GS1", "JPM1", "MS1"]
    assert loaded.extra["largest_principal_usd"] == 104e6
    assert len(loaded.frame) == len(DAYS) and loaded.as_of == DAYS[-1].isoformat()
    assert set(loaded.modes) == {"simulated"}


def test_the_chart_names_the_barriers_the_breach_and_carries_the_banner(marts_warehouse):
    path = marts_warehouse(_marts())
    with Warehouse(path).reader() as con:
        loaded = data.load_note_barriers(con, WINDOW)
    banner = banner_for(loaded.modes)
    texts = figure_texts(build_figure(SPEC, loaded, WINDOW, banner))
    assert "SIMULATED DATA — not market data" in texts
    assert "Morgan Stanley $43.60 · US$104 m" in texts
    assert "2 notes $38.40–38.95 · US$18 m" in texts  # two barriers 1.4% apart share one label
    assert any(t.startswith("Feb 05: 2 breached (38.95, 38.40)") and "US$17.9 m of principal" in t for t in texts)
    assert "band thickness ∝ note principal (largest US$104 m)" in texts


def test_real_data_carries_no_banner(tmp_path):
    path = write_marts(tmp_path / "real.duckdb", _marts("real"))
    with Warehouse(path).reader() as con:
        assert banner_for(data.load_note_barriers(con, WINDOW).modes) is None


def test_no_barrier_in_the_window_is_a_reason(marts_warehouse):
    barriers, daily = note_barrier_marts()
    path = marts_warehouse({"fct_note_barriers": barriers.iloc[0:0], "fct_note_barriers_daily": daily})
    with Warehouse(path).reader() as con:
        loaded = data.load_note_barriers(con, WINDOW)
    assert loaded.empty
    assert loaded.reason == "no data for this chart (table marts.fct_note_barriers has no rows in the window)"


def test_barriers_within_two_percent_share_a_label():
    assert barrier_clusters([44.0, 39.1, 38.95, 38.2, 38.03, 27.2]) == [[0], [1, 2, 3, 4], [5]]
    assert barrier_clusters([]) == []
