"""The `btcflows` command: parse prints canonical CSV or one clear line; query is read-only."""
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def run(argv, capsys):
    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_parse_prints_canonical_rows_as_csv(capsys):
    code, out, _ = run(["parse", "farside", str(FIXTURES / "farside" / "farside_negative_and_dash.html"),
                        "--partition", "2024-01-17"], capsys)
    assert code == 0
    header, *rows = out.strip().splitlines()
    assert header == "trade_date,ticker,flow_usd,source,reported_date"
    assert "2024-01-11,GBTC,-90200000.0,farside,2024-01-17" in rows  # '(90.2)' US$m
    assert "2024-01-12,FBTC,0.0,farside,2024-01-17" in rows  # a reported zero stays 0.0
    assert "2024-01-11,BTC,,farside,2024-01-17" in rows  # '-' (no figure) stays empty


@pytest.mark.parametrize("source, fixture", [
    ("farside", "farside/farside_challenge_page.html"),
    ("occ-volume", "occ-volume/occ_not_yet_published.txt"),
    ("yahoo", "yahoo/yahoo_error_not_found.json"),
    ("binance-oi", "binance-oi/binance_oi_html_block.json"),
])
def test_parse_of_a_malformed_payload_is_one_line_naming_source_and_file(capsys, source, fixture):
    path = FIXTURES / fixture
    code, out, err = run(["parse", source, str(path)], capsys)
    assert code == 1 and out == ""
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1
    assert lines[0].startswith(f"btcflows: {source}: ") and str(path) in lines[0]


def test_parse_of_an_unknown_source_names_the_known_ones(capsys):
    code, _, err = run(["parse", "nosuch", str(FIXTURES / "farside" / "farside_bad_date.html")], capsys)
    assert code == 2 and "farside" in err


def test_query_is_read_only_and_prints_csv(tmp_path, monkeypatch, capsys):
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts; create table marts.t as select 1 as x")
    con.close()
    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(db))
    code, out, _ = run(["query", "select x from t", "--csv"], capsys)
    assert code == 0 and out.splitlines() == ["x", "1"]
    code, _, err = run(["query", "create table marts.u (y int)"], capsys)
    assert code == 1 and "read-only" in err


def test_query_without_a_warehouse_says_what_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(tmp_path / "absent.duckdb"))
    code, _, err = run(["query", "select 1"], capsys)
    assert code == 1 and "btcflows demo" in err


def test_the_installed_command_flushes_output_and_keeps_exit_codes(tmp_path):
    """`btcflows` (console_main) leaves through os._exit: piped stdout must still arrive whole, and
    a failure must still exit 1 with its one line."""
    import os
    import subprocess
    import sys

    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts; create table marts.t as select range as x from range(5000)")
    exe = Path(sys.executable).with_name("btcflows")
    env = {**os.environ, "BTCFLOWS_WAREHOUSE": str(db)}
    ok = subprocess.run([str(exe), "query", "select x from t order by x", "--csv"], check=False, env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and ok.stdout.splitlines() == ["x", *map(str, range(5000))]
    env["BTCFLOWS_WAREHOUSE"] = str(tmp_path / "absent.duckdb")
    bad = subprocess.run([str(exe), "query", "select 1"], check=False, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.count("btcflows demo") == 1 and bad.stdout == ""


def test_a_reader_that_leaves_early_ends_the_command_quietly(tmp_path):
    """`btcflows query ... | head -1`: no traceback when the pipe closes, the exit code of a Unix tool
    stopped by SIGPIPE (141)."""
    import os
    import subprocess
    import sys

    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts; create table marts.t as select range as x from range(200000)")
    exe = Path(sys.executable).with_name("btcflows")
    proc = subprocess.Popen([str(exe), "query", "select x from t order by x", "--csv"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "BTCFLOWS_WAREHOUSE": str(db)})
    assert proc.stdout.readline() == b"x\n"
    proc.stdout.close()  # the reader leaves, as `head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and err == ""


def test_archive_listing_names_a_meta_that_lost_its_payload_and_exits_1(tmp_path, monkeypatch, capsys):
    from pipelines.archive import Archive, PayloadMeta

    archive = Archive(tmp_path / "archive")
    meta = PayloadMeta(source="farside", endpoint="all", url="", partition="2026-02-06", mode="simulated",
                       fetched_at="2026-02-06T14:00:00Z")
    kept = archive.write(b"<table>1</table>", meta, "html")
    lost = archive.write(b"<table>2</table>", meta, "html")
    lost.path.unlink()
    garbled = archive.write(b"<table>3</table>", meta, "html")
    garbled.path.with_name(garbled.path.name + ".meta.json").write_text("{not json")
    monkeypatch.setenv("BTCFLOWS_ARCHIVE", str(tmp_path / "archive"))
    code, out, err = run(["archive"], capsys)
    assert code == 1
    assert str(kept.path) in out and str(lost.path) not in out  # every readable payload is still listed
    lines = err.strip().splitlines()
    assert lines == [f"btcflows: archive: {lost.path}.meta.json has no payload file {lost.path.name} (deleted or moved?)",
                     (f"btcflows: archive: {garbled.path}.meta.json is not a readable meta file: "
                      "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)")]
    code, _, err = run(["archive", "--bad"], capsys)
    assert code == 1 and f"{lost.path.name} (deleted or moved?)" in err and "Traceback" not in err


BAD_IMPORTS = {
    "header only": ("vol_index_daily.csv", b"trade_date,index_name,close,source\n",
                    "vol_index_daily.csv: no data rows (line 1 is the header, nothing follows)"),
    "not UTF-8": ("vol_index_daily.csv", b"trade_date,index_name,close,source\n2026-02-05,DVOL-BTC,90,deribit\xff\n",
                  "vol_index_daily.csv: line 2: column 'source': byte 0xff is not UTF-8 (save the file as UTF-8)"),
    "one field too many": ("vol_index_daily.csv", b"trade_date,index_name,close,source\n2026-02-05,DVOL-BTC,90,deribit,x\n",
                           "vol_index_daily.csv: line 2: 5 fields where the header has 4; the field 'x' has no column"),
    "impossible timestamp": ("funding_rates.csv", (b"ts_utc,venue,symbol,funding_rate,source\n"
                             b"2026-02-30T20:00:00Z,Binance,BTCUSDT,0.0001,b\n2026-02-30T20:00:00Z,Binance,BTCUSDT,0.0001,b\n"),
                             ("funding_rates.csv: line 2: column 'ts_utc': no such date or time of day ('2026-02-30T20:00:00Z')\n"
                              "  funding_rates.csv: line 3: column 'ts_utc': no such date or time of day ('2026-02-30T20:00:00Z')")),
    "infinite number": ("hourly_bars.csv", (b"bar_start_utc,symbol,open,high,low,close,volume,source\n"
                        b"2026-02-05T20:00:00Z,BTC-USD,1,1,1,Infinity,0,coinbase\n"),
                        "hourly_bars.csv: line 2: column 'close': not a finite number ('Infinity')"),
    "undeclared fund": ("etf_flows.csv", b"trade_date,ticker,flow_usd,source\n2026-02-05,ETHA,1e6,farside\n",
                        ("etf_flows.csv: line 2: column 'ticker': 'ETHA' is not a known US spot bitcoin ETF "
                         "(pipelines/funds.py); if it is one, declare it: --fund ETHA")),
}


@pytest.mark.parametrize("case", BAD_IMPORTS, ids=list(BAD_IMPORTS))
def test_a_bad_import_is_one_line_per_problem_exit_1_and_nothing_written(tmp_path, monkeypatch, capsys, case):
    name, data, problem = BAD_IMPORTS[case]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_bytes(data)
    monkeypatch.setenv("BTCFLOWS_WAREHOUSE", str(tmp_path / "w" / "btcflows.duckdb"))
    monkeypatch.setenv("BTCFLOWS_ARCHIVE", str(tmp_path / "w" / "archive"))
    code, out, err = run(["import", str(tmp_path / "in")], capsys)
    assert code == 1 and out == ""
    assert "Traceback" not in err and "Error:" not in err
    count = problem.count("\n") + 1  # two impossible timestamps: two lines, never "a duplicate key NaT"
    assert f"import refused: {count} problem(s); nothing was written\n  {problem}\n" in err, err
    assert not (tmp_path / "w").exists()  # neither a warehouse nor an archive
