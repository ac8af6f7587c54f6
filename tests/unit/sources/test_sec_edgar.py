"""sec-edgar: EFTS search pages and 424B2 pricing supplements of notes on the iShares Bitcoin Trust.

Fixtures are hand-written in the layouts of real supplements (JPMorgan, Morgan Stanley, Goldman Sachs,
UBS, Citi; see each file's comment): preliminary vs final, levels in US$ and/or % of the initial value,
and malformed filings. The fetch runs against recorded-format bodies through respx."""
from __future__ import annotations

import json
import warnings
from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from pipelines.archive import PayloadMeta
from pipelines.sources import sec_edgar
from pipelines.sources.base import ParseError
from pipelines.sources.http import FetchError, HttpClient, RetryPolicy
from pipelines.sources.note_terms import NotAnIbitNote, parse_terms

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sec-edgar"
D = date.fromisoformat
SEARCH = sec_edgar.ENDPOINTS["search"]
UA = "Jane Analyst jane.analyst@example.com"


def meta(adsh="0001213900-25-113870", cik="1665650", filename="ea0266114-01_424b2.htm", file_date="2025-11-24",
         endpoint="document") -> PayloadMeta:
    params = {"adsh": adsh, "cik": cik, "filename": filename, "file_date": file_date, "form": "424B2",
              "file_type": "424B2", "display_name": "JPMorgan Chase Financial Co. LLC  (CIK 0001665650)"}
    return PayloadMeta(source="sec-edgar", endpoint=endpoint, url=sec_edgar.document_url(params), params=params,
                       partition=file_date)


def rows_of(name: str, **kw) -> pd.DataFrame:
    return sec_edgar.parse((FIXTURES / name).read_bytes(), meta(**kw)).rows


def barrier(rows: pd.DataFrame, kind: str, seq: int = 1) -> pd.Series:
    hit = rows[(rows["barrier_kind"] == kind) & (rows["barrier_seq"] == seq)]
    assert len(hit) == 1, f"{kind}/{seq}: {len(hit)} rows"
    return hit.iloc[0]


def isnull(v) -> bool:
    return v is None or pd.isna(v)


# -- pricing supplements, by issuer layout ----------------------------------------------------------

def test_jpmorgan_final_prose_terms_one_label_for_two_barriers():
    rows = rows_of("jpm_accin_final_interest_barrier_trigger_value.htm")
    first = rows.iloc[0]
    assert (first["accession"], first["issuer"], first["issuer_cik"]) == (
        "0001213900-25-113870", "JPMorgan Chase Financial Company LLC", "1665650")
    assert first["document_url"] == ("https://www.sec.gov/Archives/edgar/data/1665650/000121390025113870/"
                                     "ea0266114-01_424b2.htm")
    assert first["document_status"] == "final" and first["underlying"] == "IBIT"
    assert first["filing_date"] == D("2025-11-24")
    assert (first["pricing_date"], first["maturity_date"]) == (D("2025-11-24"), D("2028-11-29"))
    assert first["initial_level_usd"] == 50.57 and first["aggregate_principal_usd"] == 200_000.0
    assert first["cusip"] == "48136HBQ0" and isnull(first["isin"])
    assert first["product_name"] == ("Auto Callable Contingent Interest Notes Linked to the iShares® Bitcoin Trust ETF "
                                     "due November 29, 2028")
    for kind in ("knock_in", "coupon"):  # "Interest Barrier / Trigger Value: $35.399, which is 70.00% ..."
        b = barrier(rows, kind)
        assert (b["barrier_level_usd"], b["barrier_fraction_of_initial"]) == (35.399, 0.7)
    assert barrier(rows, "knock_in")["barrier_observation"] == "maturity"
    assert barrier(rows, "knock_in")["observation_date"] == D("2028-11-24")  # the Final Review Date
    assert barrier(rows, "coupon")["barrier_observation"] == "review_dates"
    calls = rows[rows["barrier_kind"] == "autocall"].sort_values("barrier_seq")
    assert len(calls) == 10  # the Autocall Review Dates; "greater than or equal to the Initial Value" = 100%
    assert list(calls["observation_date"])[:2] == [D("2026-05-26"), D("2026-08-24")]
    assert (calls["barrier_fraction_of_initial"] == 1.0).all() and calls["barrier_level_usd"].isna().all()
    assert set(rows["source"]) == {"sec-edgar"}


def test_jpmorgan_preliminary_keeps_blanks_unknown():
    rows = rows_of("jpm_accin_preliminary_blanks.htm", adsh="0001213900-25-111002", file_date="2025-11-18")
    first = rows.iloc[0]
    assert first["document_status"] == "preliminary"
    assert isnull(first["initial_level_usd"]) and isnull(first["aggregate_principal_usd"])  # "$" and no value
    assert first["pricing_date"] == D("2025-11-24")  # "On or about November 24, 2025"
    assert first["cusip"] == "48136HBQ0"  # the final supplement's: the final will supersede this one
    for kind in ("knock_in", "coupon"):  # separate labels here, "70.00% of the Initial Value"
        b = barrier(rows, kind)
        assert isnull(b["barrier_level_usd"]) and b["barrier_fraction_of_initial"] == 0.7
    assert (rows["barrier_kind"] == "autocall").sum() == 10


def test_jpmorgan_digital_buffer_amount_is_a_fall_and_the_pricing_date_wins_over_the_strike_date():
    rows = rows_of("jpm_digital_buffered_strike_share_price_percent_only.htm")
    assert list(rows["barrier_kind"]) == ["buffer"]
    b = rows.iloc[0]
    assert b["barrier_fraction_of_initial"] == 0.8 and isnull(b["barrier_level_usd"])  # Buffer Amount 20.00%
    assert b["initial_level_usd"] == 62.15  # Strike Share Price
    assert b["pricing_date"] == D("2025-10-01")  # not the Strike Date (2025-09-30)
    assert b["observation_date"] == D("2026-10-01")  # the Observation Date
    assert b["aggregate_principal_usd"] == 3_250_000.0  # the cover amount, in a table cell
    assert b["issuer"] == "JPMorgan Chase Financial Company LLC"


def test_morgan_stanley_lower_case_terms_table_and_listed_redemption_dates():
    rows = rows_of("ms_contingent_income_terms_table_lowercase.htm", adsh="0001950047-25-007412", cik="895421",
                   filename="dp238977_424b2-ps5012.htm")
    first = rows.iloc[0]
    assert first["issuer"] == "Morgan Stanley Finance LLC"
    assert first["product_name"] == ("Contingent Income Auto-Callable Securities due November 18, 2027 Based on the "
                                     "Performance of the iShares® Bitcoin Trust ETF")
    assert (first["cusip"], first["isin"]) == ("61778NKT7", "US61778NKT71")
    assert first["aggregate_principal_usd"] == 12_415_000.0 and first["initial_level_usd"] == 58.14
    b = barrier(rows, "knock_in")  # downside threshold level
    assert (b["barrier_level_usd"], b["barrier_fraction_of_initial"]) == (34.884, 0.6)
    assert b["observation_date"] == D("2027-11-15")
    calls = rows[rows["barrier_kind"] == "autocall"]
    assert len(calls) == 7 and calls["observation_date"].min() == D("2026-02-13")
    assert (calls["barrier_fraction_of_initial"] == 1.0).all()
    assert "coupon" not in set(rows["barrier_kind"])  # one threshold serves both: it is the knock-in's label


def test_goldman_usd_levels_daily_trigger_and_a_step_down_call_table():
    rows = rows_of("gs_autocall_usd_levels_call_table_daily_trigger.htm")
    trigger = barrier(rows, "knock_in")
    assert (trigger["barrier_level_usd"], trigger["barrier_observation"]) == (31.494, "daily")
    assert isnull(trigger["barrier_fraction_of_initial"]) and isnull(trigger["observation_date"])
    coupon = barrier(rows, "coupon")
    assert (coupon["barrier_level_usd"], coupon["barrier_observation"]) == (36.743, "review_dates")
    calls = rows[rows["barrier_kind"] == "autocall"].sort_values("barrier_seq")
    assert list(calls["barrier_fraction_of_initial"]) == [1.0, 0.95, 0.9, 0.85]
    assert list(calls["observation_date"]) == [D("2026-06-10"), D("2026-09-10"), D("2026-12-10"), D("2027-03-10")]
    first = rows.iloc[0]
    assert (first["pricing_date"], first["maturity_date"]) == (D("2025-12-10"), D("2027-12-15"))
    assert (first["cusip"], first["isin"], first["issuer"]) == ("40058JRA5", "US40058JRA50", "GS Finance Corp.")
    assert first["product_name"].startswith("Autocallable Contingent Coupon ETF-Linked Notes due 2027 Linked to")


def test_ubs_labels_without_colons_in_a_table_the_demo_never_renders():
    rows = rows_of("ubs_trigger_autocallable_initial_level_downside_threshold.htm")
    first = rows.iloc[0]
    assert (first["issuer"], first["initial_level_usd"], first["aggregate_principal_usd"]) == (
        "UBS AG London Branch", 48.20, 7_690_000.0)
    assert (barrier(rows, "coupon")["barrier_level_usd"], barrier(rows, "coupon")["barrier_fraction_of_initial"]) == (33.74, 0.7)
    knock_in = barrier(rows, "knock_in")
    assert (knock_in["barrier_level_usd"], knock_in["barrier_fraction_of_initial"]) == (28.92, 0.6)
    assert knock_in["observation_date"] == D("2028-01-10")  # Final Valuation Date
    calls = rows[rows["barrier_kind"] == "autocall"]
    assert len(calls) == 7 and (calls["barrier_level_usd"] == 48.20).all()  # Call Threshold on the Observation Dates
    assert (first["cusip"], first["isin"]) == ("90308V7P0", "US90308V7P09")


def test_citi_knock_in_observed_on_any_trading_day_is_daily():
    rows = rows_of("citi_knock_in_observed_on_any_trading_day.htm")
    knock_in = barrier(rows, "knock_in")
    assert (knock_in["barrier_observation"], knock_in["barrier_level_usd"], knock_in["barrier_fraction_of_initial"]) == (
        "daily", 28.743, 0.65)
    assert barrier(rows, "coupon")["barrier_observation"] == "review_dates"
    assert (rows["barrier_kind"] == "autocall").sum() == 3
    assert rows.iloc[0]["issuer"] == "Citigroup Global Markets Holdings Inc."
    assert rows.iloc[0]["aggregate_principal_usd"] == 2_500_000.0


# -- what is refused, what is left out --------------------------------------------------------------

# Each malformed filing is the JPMorgan final supplement with one thing broken.
BROKEN = {
    "initial value left blank in a final": ("which was $50.57", "which was $[&#9679;]"),
    "level disagrees with its percentage": ("$35.399, which is 70.00%", "$40.399, which is 70.00%"),
    "wrong CUSIP check digit": ("<b>CUSIP:</b> 48136HBQ0", "<b>CUSIP:</b> 48136HBQ3"),
    "maturity before pricing": ("<b>Maturity Date*:</b> November&nbsp;29, 2028", "<b>Maturity Date*:</b> November&nbsp;29, 2024"),
    "no barrier terms": ("<b>Interest Barrier / Trigger Value:</b>", "<b>Interest Rate Cap:</b>"),
}


def broken(what: str) -> bytes:
    text = (FIXTURES / "jpm_accin_final_interest_barrier_trigger_value.htm").read_text()
    old, new = BROKEN[what]
    assert old in text
    if what == "no barrier terms":  # and no call rule either
        text = text.replace("<b>Automatic Call:</b>", "<b>Call Feature:</b>")
    return text.replace(old, new).encode()


@pytest.mark.parametrize("what, field, words", [
    ("initial value left blank in a final", "Initial Value", "final pricing supplement without Initial Value"),
    ("level disagrees with its percentage", "Trigger Value", "$40.3990 is not 70.00% of the initial value"),
    ("wrong CUSIP check digit", "CUSIP", "CUSIP 48136HBQ3 has a wrong check digit"),
    ("maturity before pricing", "Maturity Date", "is not after the pricing date"),
    ("no barrier terms", "Trigger Value", "no barrier terms"),
])
def test_malformed_filings_name_the_accession_the_term_and_what_is_wrong(what, field, words):
    with pytest.raises(ParseError) as err:
        sec_edgar.parse(broken(what), meta())
    assert err.value.source == "sec-edgar" and err.value.field == field
    assert words in err.value.what and "accession 0001213900-25-113870" in err.value.what


def test_a_page_that_is_not_a_supplement_is_refused():
    with pytest.raises(ParseError) as err:
        rows_of("sec_undeclared_automated_tool_page.htm")
    assert err.value.field == "Underlying" and "Request Rate Threshold Exceeded" in err.value.what


def test_a_note_on_several_underlyings_gives_no_rows_and_a_warning():
    with pytest.warns(UserWarning, match="0001193125-25-301122 is not in the register: a note on the least/worst"):
        rows = rows_of("worst_of_gold_and_bitcoin_trust.htm", adsh="0001193125-25-301122")
    assert rows.empty and list(rows.columns) == sec_edgar.frame("structured_notes", []).columns.tolist()
    with pytest.raises(NotAnIbitNote):
        parse_terms(b"<p>Underlying: the SPDR Gold Trust</p><p>Trigger Value: 70% of the Initial Value</p>")


def test_a_note_on_another_bitcoin_trust_is_not_taken_for_ibit():
    """A filing that names the iShares Bitcoin Trust elsewhere but whose underlying is another fund."""
    with pytest.raises(NotAnIbitNote, match="Grayscale"):
        parse_terms(b"<p>Notes linked to bitcoin funds such as the iShares Bitcoin Trust ETF</p>"
                    b"<p>Underlying: the Grayscale Bitcoin Trust ETF (GBTC)</p><p>Trigger Value: 70% of the Initial Value</p>")


def test_the_filing_is_known_from_its_edgar_url_or_refused():
    data = (FIXTURES / "jpm_accin_final_interest_barrier_trigger_value.htm").read_bytes()
    url = "https://www.sec.gov/Archives/edgar/data/1665650/000121390025113870/ea0266114-01_424b2.htm"
    rows = sec_edgar.parse(data, PayloadMeta(source="sec-edgar", endpoint="document", url=url, partition="2025-11-24")).rows
    assert set(rows["accession"]) == {"0001213900-25-113870"} and set(rows["issuer_cik"]) == {"1665650"}
    with pytest.raises(ParseError) as err:
        sec_edgar.parse(data, PayloadMeta(source="sec-edgar", endpoint="document", url="", partition="2025-11-24"))
    assert err.value.field == "adsh"
    with pytest.raises(ParseError) as err:
        sec_edgar.parse(data, PayloadMeta(source="sec-edgar", endpoint="document", url=url))
    assert err.value.field == "file_date"


# -- search pages ----------------------------------------------------------------------------------

def test_a_search_page_is_checked_and_holds_no_rows():
    data = (FIXTURES / "efts_two_pricing_supplements_and_an_exhibit.json").read_bytes()
    parsed = sec_edgar.parse(data, meta(endpoint="search"))
    assert parsed.dataset == "structured_notes" and parsed.rows.empty
    quiet_day = sec_edgar.parse((FIXTURES / "efts_no_hits.json").read_bytes(), meta(endpoint="search"))
    assert quiet_day.rows.empty  # a day without filings: its page is kept, and holds nothing
    hits, total = sec_edgar.search_hits(json.loads(data))
    params = [sec_edgar.document_params(h) for h in hits]
    assert total == 3 and [sec_edgar.is_pricing_supplement(p) for p in params] == [True, False, True]
    assert params[0] == {"adsh": "0001213900-25-113870", "cik": "1665650", "filename": "ea0266114-01_424b2.htm",
                         "file_date": "2025-11-24", "form": "424B2", "file_type": "424B2",
                         "display_name": "JPMorgan Chase Financial Co. LLC  (CIK 0001665650)"}


@pytest.mark.parametrize("name, field", [
    ("efts_error_body.json", "hits"),
    ("efts_hit_without_file_date.json", "hits.hits[0]._source.file_date"),
])
def test_a_bad_search_page_is_refused(name, field):
    with pytest.raises(ParseError) as err:
        sec_edgar.parse((FIXTURES / name).read_bytes(), meta(endpoint="search"))
    assert err.value.field == field


def test_a_hit_whose_cik_is_not_a_number_is_refused_by_name():
    hit = {"_id": "0001213900-25-113870:ea0266114-01_424b2.htm",
           "_source": {"ciks": ["JPM"], "file_date": "2025-11-24", "form": "424B2"}}
    with pytest.raises(ParseError) as err:
        sec_edgar.document_params(hit, 2)
    assert err.value.field == "hits.hits[2]._id" and "lacks an accession, a file name or a CIK" in err.value.what


# -- fetch -----------------------------------------------------------------------------------------

def client(attempts=3):
    return HttpClient("sec-edgar", rate_per_second=1000, retry=RetryPolicy(attempts=attempts), sleep=lambda s: None)


def _page(ids: list[str], total: int) -> dict:
    hits = [{"_id": f"{adsh}:{name}", "_source": {"ciks": ["0001665650"], "display_names": ["JPM"], "form": "424B2",
                                                 "adsh": adsh, "file_date": "2025-11-24", "file_type": ftype}}
            for adsh, name, ftype in (i.split("|") for i in ids)]
    return {"hits": {"total": {"value": total, "relation": "eq"}, "hits": hits}}


@respx.mock
def test_fetch_pages_the_search_then_fetches_each_pricing_supplement_with_a_declared_user_agent(monkeypatch):
    monkeypatch.setenv("BTCFLOWS_USER_AGENT_SEC_EDGAR", UA)
    first = ["0001213900-25-000001|a_424b2.htm|424B2", "0001213900-25-000001|fee.htm|EX-FILING FEES"]
    second = ["0001213900-25-000002|b_424b2.htm|424B2"]
    search = respx.get(SEARCH).mock(side_effect=[httpx.Response(200, json=_page(first, 3)),
                                                 httpx.Response(200, json=_page(second, 3))])
    docs = respx.get(url__startswith="https://www.sec.gov/Archives/edgar/data/1665650/").mock(
        return_value=httpx.Response(200, text="<html>terms</html>"))
    fetched = sec_edgar.fetch(client(), D("2025-11-24"))
    assert [f.endpoint for f in fetched] == ["search", "search", "document", "document"]
    pages = [dict(c.request.url.params) for c in search.calls]
    assert pages[0] == {"q": '"iShares Bitcoin Trust"', "forms": "424B2", "dateRange": "custom",
                        "startdt": "2025-11-24", "enddt": "2025-11-24", "from": "0"}
    assert pages[1]["from"] == "2"  # advanced by the hits received
    assert [str(c.request.url) for c in docs.calls] == [
        "https://www.sec.gov/Archives/edgar/data/1665650/000121390025000001/a_424b2.htm",
        "https://www.sec.gov/Archives/edgar/data/1665650/000121390025000002/b_424b2.htm"]  # not the fee exhibit
    assert all(c.request.headers["User-Agent"] == UA for c in [*search.calls, *docs.calls])
    assert fetched[2].params["file_date"] == "2025-11-24" and fetched[2].ext == "htm"


@respx.mock
def test_fetch_without_a_user_agent_naming_an_email_sends_nothing(monkeypatch):
    monkeypatch.delenv("BTCFLOWS_USER_AGENT_SEC_EDGAR", raising=False)
    monkeypatch.setenv("BTCFLOWS_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64)")  # a browser UA: no email
    route = respx.get(SEARCH).mock(return_value=httpx.Response(200, json=_page([], 0)))
    with pytest.raises(sec_edgar.UserAgentMissing, match="set BTCFLOWS_USER_AGENT_SEC_EDGAR"):
        sec_edgar.fetch(client(), D("2025-11-24"))
    assert route.call_count == 0
    monkeypatch.setenv("BTCFLOWS_USER_AGENT", "Acme Research ops@acme.example")  # one with an email will do
    sec_edgar.require_declared_user_agent(client())


@respx.mock
def test_fetch_retries_throttling_and_names_the_url_when_it_gives_up(monkeypatch):
    monkeypatch.setenv("BTCFLOWS_USER_AGENT_SEC_EDGAR", UA)
    route = respx.get(SEARCH).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "1"}),
                                                httpx.Response(200, json=_page([], 0))])
    [page] = sec_edgar.fetch(client(), D("2025-11-22"))
    assert route.call_count == 2 and page.endpoint == "search"
    respx.get(SEARCH).mock(return_value=httpx.Response(403, text="Undeclared Automated Tool"))
    with pytest.raises(FetchError) as err:
        sec_edgar.fetch(client(), D("2025-11-22"))
    assert err.value.status == 403 and "efts.sec.gov/LATEST/search-index" in str(err.value)


@respx.mock
def test_a_malformed_search_page_is_a_failed_fetch_and_stops_the_paging(monkeypatch):
    monkeypatch.setenv("BTCFLOWS_USER_AGENT_SEC_EDGAR", UA)
    route = respx.get(SEARCH).mock(return_value=httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(FetchError) as err:  # its body is archived as a failed fetch, not as data
        sec_edgar.fetch(client(), D("2025-11-24"))
    assert route.call_count == 1 and err.value.response.content == b"<html>maintenance</html>"
    assert "not a search result" in str(err.value) and "efts.sec.gov/LATEST/search-index" in str(err.value)
    with pytest.raises(ParseError):  # and would not parse, were it archived as data
        sec_edgar.parse(err.value.response.content, meta(endpoint="search"))


def test_the_rate_stays_inside_sec_fair_access():
    assert 0 < sec_edgar.RATE_PER_SECOND <= 10


def test_no_warning_for_a_note_on_ibit():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows_of("jpm_accin_final_interest_barrier_trigger_value.htm")


# -- live mode end to end, and the CLI -------------------------------------------------------------

@respx.mock
def test_live_fetch_archives_every_response_then_the_documents_parse(tmp_path, monkeypatch):
    import logging

    from pipelines.archive import Archive
    from pipelines.assets.archive import fetch_live
    from pipelines.demo.render import sec_edgar as render
    from pipelines.demo.scenario import build_scenario
    from pipelines.ingest import collect_from_archive

    monkeypatch.setenv("BTCFLOWS_USER_AGENT_SEC_EDGAR", UA)
    monkeypatch.setattr(sec_edgar, "RATE_PER_SECOND", 0)
    scenario = build_scenario()
    notes = scenario.canonical["structured_notes"]
    day = sorted(set(notes["filing_date"]))[1]
    served = render.render(scenario.canonical, day)
    respx.get(SEARCH).mock(return_value=httpx.Response(200, content=served[0].data))
    for page in served[1:]:
        respx.get(page.url).mock(return_value=httpx.Response(200, content=page.data))
    archive = Archive(tmp_path / "archive")
    assert fetch_live("sec-edgar", archive, [day], logging.getLogger("test")) == len(served)
    stored = archive.list("sec-edgar")
    assert {p.read() for p in stored} == {f.data for f in served}  # archived byte for byte
    assert all(p.meta.mode == "live" and p.meta.partition == day.isoformat() for p in stored)
    rows = collect_from_archive(archive, "structured_notes", day, day).rows
    planted = notes[notes["filing_date"] == day]
    assert len(rows) == len(planted) and set(rows["accession"]) == set(planted["accession"])


def test_btcflows_parse_and_archive_bad_name_an_unreadable_filing(tmp_path, monkeypatch, capsys):
    from pipelines.archive import Archive
    from pipelines.cli import main

    good = FIXTURES / "ms_contingent_income_terms_table_lowercase.htm"
    code = 0
    try:
        main(["parse", "sec-edgar", str(good), "--partition", "2025-11-14", "--param", "adsh=0001950047-25-007412",
              "--param", "cik=895421"])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and out[0].startswith("filing_date,accession,issuer,")
    assert any(",knock_in,1,maturity,2027-11-15,34.884,0.6," in line for line in out[1:])

    archive = Archive(tmp_path / "archive")
    bad = broken("level disagrees with its percentage")
    m = meta(adsh="0001213900-25-113871")
    archive.write(bad, PayloadMeta(**{**m.__dict__, "mode": "live"}), "htm")
    archive.write((FIXTURES / "jpm_accin_final_interest_barrier_trigger_value.htm").read_bytes(), m, "htm")
    from pipelines.ingest import IngestError, collect_from_archive

    with pytest.raises(IngestError) as err:  # the window fails before anything is written
        collect_from_archive(archive, "structured_notes", D("2025-11-24"), D("2025-11-24"))
    assert len(err.value.problems) == 1 and "0001213900-25-113871" in err.value.problems[0]
    monkeypatch.setenv("BTCFLOWS_ARCHIVE", str(archive.root))
    main(["archive", "--bad", "--source", "sec-edgar"])
    captured = capsys.readouterr()
    assert captured.out.count("sec-edgar: cannot parse payload") == 1
    assert "accession 0001213900-25-113871: Trigger Value: $40.3990 is not 70.00% of the initial value" in captured.out
    assert "1 payload(s)" in captured.err
