"""Canonical CSV import: everything wrong is reported at once, one line each: file, line, column, problem."""
from pathlib import Path

import pytest

from pipelines.datasets import DATASETS
from pipelines.files import ImportValidationError, check_csv, read_checked, validate_dir

GOOD_FLOWS = "trade_date,ticker,flow_usd,source\n2026-02-05,IBIT,-100000.0,farside\n2026-01-19,IBIT,5.0,farside\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(tmp_path) -> list[str]:
    with pytest.raises(ImportValidationError) as info:
        validate_dir(tmp_path)
    assert "nothing was written" in str(info.value)
    return info.value.problems


def test_valid_directory_summary_counts_non_trading_days(tmp_path):
    write(tmp_path, "etf_flows.csv", GOOD_FLOWS)
    summary = validate_dir(tmp_path)
    s = summary.datasets["etf_flows"]
    assert (s.rows, s.non_trading_day_rows) == (2, 1)  # 2026-01-19 is MLK day
    assert "options_volume" in summary.render()  # absent datasets are named


def test_unknown_file_name(tmp_path):
    write(tmp_path, "etf_flow.csv", GOOD_FLOWS)
    assert any("etf_flow.csv: unknown file name" in p for p in problems_of(tmp_path))


def test_extra_and_missing_columns(tmp_path):
    write(tmp_path, "etf_flows.csv", "trade_date,tickr,flow_usd,source\n2026-02-05,IBIT,1,f\n")
    found = problems_of(tmp_path)
    assert any("column 'tickr' is not in etf_flows" in p for p in found)
    assert any("required column 'ticker' is missing" in p for p in found)


def test_every_bad_row_is_reported(tmp_path):
    write(
        tmp_path,
        "daily_bars.csv",
        "trade_date,symbol,open,high,low,close,volume,source\n"
        "2026-02-05,IBIT,1,1,1,1,100,y\n"
        "05/02/2026,IBIT,1,1,1,1,100,y\n"  # line 3: date
        "2026-02-06,IBIT,1,1,1,abc,100,y\n"  # line 4: number
        "2026-02-09,IBIT,1,1,1,1,-5,y\n"  # line 5: negative volume
        "2026-02-05,IBIT,1,1,1,1,100,y\n",  # line 6: duplicate of line 2 (reported once types are clean)
    )
    found = problems_of(tmp_path)
    assert any("line 3: column 'trade_date': not a date" in p for p in found)
    assert any("line 4: column 'close': not a number" in p for p in found)
    assert any("line 5: column 'volume': negative value not allowed" in p for p in found)
    assert all(p.startswith("daily_bars.csv: line ") for p in found)


def test_duplicate_key(tmp_path):
    write(tmp_path, "etf_flows.csv", GOOD_FLOWS + "2026-02-05,IBIT,7.0,farside\n")
    found = problems_of(tmp_path)
    assert found == ["etf_flows.csv: line 4: duplicate key (trade_date=2026-02-05, ticker=IBIT, source=farside) seen on an earlier line"]


def test_timestamp_without_z(tmp_path):
    write(tmp_path, "funding_rates.csv",
          "ts_utc,venue,symbol,funding_rate,source\n2026-02-05T16:00:00,Binance,BTCUSDT,0.0001,b\n")
    assert any("line 2: column 'ts_utc': not a UTC timestamp ending in Z" in p for p in problems_of(tmp_path))


def test_empty_cells_are_unknown_not_zero(tmp_path):
    write(tmp_path, "etf_flows.csv", "trade_date,ticker,flow_usd,source\n2026-02-05,IBIT,,farside\n")
    rows, problems = read_checked(tmp_path / "etf_flows.csv", DATASETS["etf_flows"], funds=())
    assert problems == [] and rows["flow_usd"].isna().all()


# -- bad input that used to raise a traceback (or pass) instead of one line -----------------------
def test_a_header_only_file_is_refused(tmp_path):
    write(tmp_path, "vol_index_daily.csv", "trade_date,index_name,close,source\n")
    assert problems_of(tmp_path) == ["vol_index_daily.csv: no data rows (line 1 is the header, nothing follows)"]


def test_a_byte_that_is_not_utf8_is_located_by_line_and_column(tmp_path):
    (tmp_path / "etf_flows.csv").write_bytes(b"trade_date,ticker,flow_usd,source\n2026-02-05,IBIT,1.0,farside\n"
                                             b"2026-02-06,FBTC,2.0,fars\xe9de\n")
    assert problems_of(tmp_path) == [
        "etf_flows.csv: line 3: column 'source': byte 0xe9 is not UTF-8 (save the file as UTF-8)"]


def test_a_row_with_one_field_too_many_or_too_few_is_named(tmp_path):
    write(tmp_path, "vol_index_daily.csv", "trade_date,index_name,close,source\n"
                                           "2026-02-05,DVOL-BTC,90.0,deribit\n"
                                           "2026-02-06,DVOL-BTC,91.0,deribit,oops\n"
                                           "2026-02-09,DVOL-BTC,92.0\n")
    assert problems_of(tmp_path) == [
        "vol_index_daily.csv: line 3: 5 fields where the header has 4; the field 'oops' has no column",
        "vol_index_daily.csv: line 4: 3 fields where the header has 4"]


def test_impossible_timestamps_are_named_not_read_as_a_duplicate_key(tmp_path):
    write(tmp_path, "hourly_bars.csv", "bar_start_utc,symbol,open,high,low,close,volume,source\n"
                                       "2026-02-30T20:00:00Z,BTC-USD,1,1,1,1,0,coinbase\n"
                                       "2026-02-31T20:00:00Z,BTC-USD,1,1,1,1,0,coinbase\n"
                                       "2026-02-05T24:30:00Z,BTC-USD,1,1,1,1,0,coinbase\n"
                                       "2026-02-05T20:00:00Z,BTC-USD,1,1,1,1,0,coinbase\n")
    found = problems_of(tmp_path)
    assert found == [f"hourly_bars.csv: line {n}: column 'bar_start_utc': no such date or time of day ({v!r})"
                     for n, v in ((2, "2026-02-30T20:00:00Z"), (3, "2026-02-31T20:00:00Z"), (4, "2026-02-05T24:30:00Z"))]


def test_an_impossible_date_is_named(tmp_path):
    write(tmp_path, "vol_index_daily.csv", "trade_date,index_name,close,source\n2026-02-30,DVOL-BTC,90,deribit\n")
    assert problems_of(tmp_path) == [("vol_index_daily.csv: line 2: column 'trade_date': not a date YYYY-MM-DD "
                                      "(or no such day) ('2026-02-30')")]


@pytest.mark.parametrize("value, what", [("inf", "not a finite number"), ("Infinity", "not a finite number"),
                                         ("-inf", "not a finite number"), ("1e400", "not a finite number"),
                                         ("nan", "not a number"), ("NaN", "not a number")])
def test_non_finite_numbers_are_refused(tmp_path, value, what):
    write(tmp_path, "daily_bars.csv", "trade_date,symbol,open,high,low,close,volume,source\n"
                                      f"2026-02-05,IBIT,40,41,35,{value},1000,yahoo\n")
    assert problems_of(tmp_path) == [f"daily_bars.csv: line 2: column 'close': {what} ({value!r})"]


def test_a_quoted_field_with_a_comma_and_a_blank_line_are_read(tmp_path):
    write(tmp_path, "etf_flows.csv", 'trade_date,ticker,flow_usd,source\n2026-02-05,IBIT,1.0,"farside, table"\n\n'
                                     "2026-02-06,IBIT,2.0,farside\n")
    rows, problems = read_checked(tmp_path / "etf_flows.csv", DATASETS["etf_flows"], funds=())
    assert problems == [] and list(rows["source"]) == ["farside, table", "farside"]


# -- fund tickers ---------------------------------------------------------------------------------
def test_an_unknown_fund_is_refused_unless_declared(tmp_path):
    write(tmp_path, "etf_flows.csv", GOOD_FLOWS + "2026-02-05,ETHA,5.0,farside\n2026-02-06,ETHA,6.0,farside\n")
    assert problems_of(tmp_path) == [
        ("etf_flows.csv: line 4: column 'ticker': 'ETHA' is not a known US spot bitcoin ETF (pipelines/funds.py) "
         "(and on 1 later line(s)); if it is one, declare it: --fund ETHA")]
    summary = validate_dir(tmp_path, funds=["ETHA"])
    assert summary.datasets["etf_flows"].rows == 4


def test_the_archive_reads_a_file_without_the_fund_check():
    """A replay reads an archived file as the import accepted it (its funds were checked then)."""
    data = b"trade_date,ticker,flow_usd,source\n2026-02-05,NEWX,1.0,farside\n"
    assert check_csv(data, "etf_flows.csv", DATASETS["etf_flows"])[1] == []
    assert check_csv(data, "etf_flows.csv", DATASETS["etf_flows"], funds=())[1]


CHAIN_HEADER = ("snapshot_utc,venue,instrument,underlying,expiry_utc,strike,put_call,open_interest,multiplier,"
                "mark_iv,underlying_price,source\n")


def chain_line(venue="Deribit", underlying="BTC", instrument="BTC-27MAR26-70000-P", put_call="P") -> str:
    return (f"2026-02-07T18:39:23Z,{venue},{instrument},{underlying},2026-03-27T08:00:00Z,70000,{put_call},"
            "12.5,1,0.55,69400,deribit\n")


def test_values_outside_a_closed_set_are_refused_with_the_accepted_values(tmp_path):
    write(tmp_path, "option_chain_snapshot.csv", CHAIN_HEADER + chain_line()
          + chain_line(underlying="BTC-USD", instrument="a")  # line 3: the spot symbol, not an underlying
          + chain_line(underlying="IBIT", instrument="b")  # line 4: Deribit lists no IBIT options
          + chain_line(venue="Binance", instrument="c")  # line 5: not a venue of option chains
          + chain_line(put_call="p", instrument="d"))  # line 6
    assert sorted(problems_of(tmp_path)) == [
        "option_chain_snapshot.csv: line 3: column 'underlying': not one of BTC, IBIT ('BTC-USD')",
        "option_chain_snapshot.csv: line 4: column 'underlying': not one of BTC for venue Deribit ('IBIT')",
        "option_chain_snapshot.csv: line 5: column 'venue': not one of Deribit, CME, OCC ('Binance')",
        "option_chain_snapshot.csv: line 6: column 'put_call': not one of P, C ('p')",
    ]


@pytest.mark.parametrize("name, text, problem", [
    ("vol_index_daily.csv", "trade_date,index_name,close,source\n2026-02-05,DVOL,90,d\n",
     "line 2: column 'index_name': not one of DVOL-BTC, DVOL-ETH ('DVOL')"),
    ("cot_positions.csv", "report_date,market_code,category,source\n2026-02-03,43602,dealer,c\n",
     "line 2: column 'market_code': not one of 133741, 133742 ('43602')"),
    ("funding_rates.csv", "ts_utc,venue,symbol,funding_rate,source\n2026-02-05T16:00:00Z,binance,BTCUSDT,0.0001,b\n",
     "line 2: column 'venue': not one of CME, Binance, Deribit, OCC, Coinbase ('binance')"),
])
def test_each_closed_column_is_checked_on_import(tmp_path, name, text, problem):
    write(tmp_path, name, text)
    assert problems_of(tmp_path) == [f"{name}: {problem}"]


def test_btcflows_import_of_an_out_of_contract_value_exits_1_naming_it(tmp_path, capsys):
    from pipelines.cli import main

    write(tmp_path, "option_chain_snapshot.csv", CHAIN_HEADER + chain_line(underlying="BTC-USD"))
    with pytest.raises(SystemExit) as exit_info:
        main(["import", str(tmp_path)])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "option_chain_snapshot.csv: line 2: column 'underlying': not one of BTC, IBIT ('BTC-USD')" in err
    assert "nothing was written" in err
