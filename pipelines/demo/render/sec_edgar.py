"""EDGAR as fetched for New York date `day` (a trading day): the full-text search page listing the
day's 424B2 filings on the iShares Bitcoin Trust, and each filing's pricing supplement as HTML in
its issuer's layout:

* JPMorgan (`jpm_accin`, `jpm_digital`, `jpm_review`): the cover amount on a line of its own, then
  "Key Terms" as prose paragraphs with bold labels (Fund, Interest Barrier / Trigger Value, Initial
  Value, Autocall Review Dates, an "Automatic Call" rule, Contingent Buffer Amount, Barrier Amount,
  Call Value), modelled on JPMorgan Chase Financial's "Auto Callable Contingent Interest Notes",
  "Digital Contingent Buffered Notes" and "Review Notes" linked to the iShares Bitcoin Trust ETF.
* Morgan Stanley (`ms`): a two-column terms table with lower-case labels (Underlying shares,
  Initial share price, Downside threshold level, CUSIP / ISIN) and an early redemption schedule
  table, modelled on Morgan Stanley Finance's "Contingent Income Auto-Callable Securities" and
  "Dual Directional Autocallable Trigger PLUS" based on the iShares Bitcoin Trust ETF.
* Goldman Sachs (`gs`): a "Key Terms" table (Underlier, Initial underlier level, Trigger buffer
  level and Coupon trigger level in US$, Call observation dates, Call level, CUSIP no., ISIN no.),
  modelled on GS Finance's "Autocallable Contingent Coupon ETF-Linked Notes".
Preliminary supplements carry "Subject to Completion", a bare "$" for the amount and the levels as
percentages of an initial value still to be set. Everything here is simulated.
"""
from __future__ import annotations

import hashlib
import html
import json
from datetime import date, timedelta

import pandas as pd

from pipelines.demo.notes import ISSUERS, PLANS
from pipelines.sources import sec_edgar
from pipelines.sources.base import Fetched
from pipelines.timeutils import is_trading_day

PLAN_BY_PRODUCT = {(p.issuer, p.product): p for p in PLANS}
ISSUER_BY_NAME = {i.name: i for i in ISSUERS.values()}
JPM_ISSUER = "JPMorgan Chase Financial Company LLC, an indirect, wholly owned finance subsidiary of JPMorgan Chase &amp; Co."
JPM_INTEREST = (
    "If the notes have not been automatically called and the closing price of one share of the Fund on any Interest "
    "Review Date is greater than or equal to the Interest Barrier, you will receive on the applicable Interest Payment "
    "Date for each $1,000 principal amount note a Contingent Interest Payment equal to $11.875 (equivalent to a "
    "Contingent Interest Rate of 14.25% per annum).")
JPM_AUTOMATIC_CALL = (
    "If the closing price of one share of the Fund on any Autocall Review Date is greater than or equal to the Initial "
    "Value, the notes will be automatically called for a cash payment, for each $1,000 principal amount note, equal to "
    "(a) $1,000 plus (b) the Contingent Interest Payment applicable to that Autocall Review Date.")
JPM_ACCIN_AT_MATURITY = (
    "If the notes have not been automatically called and the Final Value is greater than or equal to the Trigger Value, "
    "you will receive a cash payment, for each $1,000 principal amount note, equal to $1,000 plus the Contingent Interest "
    "Payment applicable to the final Review Date. If the Final Value is less than the Trigger Value, you will lose more "
    "than {loss} of your principal amount.")
JPM_DIGITAL_AT_MATURITY = (
    "If the Final Share Price is greater than or equal to the Strike Share Price or is less than the Strike Share Price "
    "by up to the Contingent Buffer Amount, you will receive the principal amount plus the Contingent Digital Return. "
    "Otherwise you will lose 1% of the principal amount for every 1% that the Final Share Price is less than the Strike "
    "Share Price.")
JPM_CALL_PREMIUM = ("With respect to each Review Date, at least 2.35% times the number of months elapsed since the "
                    "Pricing Date (to be provided in the pricing supplement)")
MS_EARLY_REDEMPTION = (
    "If, on any redemption determination date, the determination closing price is greater than or equal to the call "
    "threshold level, the securities will be automatically redeemed for the early redemption payment.")
FILE_NUMBERS = {"jpm": "333-270004-01", "ms": "333-275587-01", "gs": "333-284538-01"}


def _date(d) -> str:
    d = pd.Timestamp(d).date()
    return f"{d:%B} {d.day}, {d.year}"


def _dates(values) -> str:
    return ", ".join(_date(d) for d in values)


def _usd(x: float, decimals: int = 4) -> str:
    return f"${x:,.{decimals}f}"


def _amount(x: float) -> str:
    return f"${x:,.0f}"


def _pct(fraction: float, decimals: int = 2) -> str:
    return f"{fraction * 100:.{decimals}f}%"


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


class _Note:
    """One filing's rows, read back as the terms its document prints."""

    def __init__(self, rows: pd.DataFrame):
        self.rows = rows
        first = rows.iloc[0]
        self.first = first
        self.issuer = ISSUER_BY_NAME[first["issuer"]]
        self.final = first["document_status"] == "final"
        product = str(first["product_name"]).split(" Linked to ")[0].split(" Based on ")[0]
        self.plan = PLAN_BY_PRODUCT[(self.issuer.key, product)]
        self.principal = rows[rows["barrier_kind"].isin(["knock_in", "buffer"])].iloc[0]
        coupon = rows[rows["barrier_kind"] == "coupon"]
        self.coupon = coupon.iloc[0] if len(coupon) else None
        self.calls = rows[rows["barrier_kind"] == "autocall"].sort_values("barrier_seq")

    def value(self, column: str):
        v = self.first[column]
        return None if v is None or (isinstance(v, float) and pd.isna(v)) else v

    def level_text(self, row, of: str, pct_decimals: int = 2) -> str:
        """'$38.9610, which is 70.00% of the Initial Value' / '70.00% of ...' / '$38.9610'."""
        usd = None if pd.isna(row["barrier_level_usd"]) else float(row["barrier_level_usd"])
        frac = None if pd.isna(row["barrier_fraction_of_initial"]) else float(row["barrier_fraction_of_initial"])
        if usd is not None and frac is not None:
            return f"{_usd(usd)}, which is {_pct(frac, pct_decimals)} of {of}"
        if usd is not None:
            return _usd(usd)
        return f"{_pct(frac, pct_decimals)} of {of}"


def _prelim_banner(note: _Note, filed: date) -> str:
    if note.final:
        return ""
    return ("<p><i>The information in this preliminary pricing supplement is not complete and may be changed. This "
            "preliminary pricing supplement is not an offer to sell nor does it seek an offer to buy these securities "
            "in any jurisdiction where the offer or sale is not permitted.</i></p>\n"
            f"<p><b>Subject to completion dated {_date(filed)}</b></p>\n")


# -- JPMorgan ---------------------------------------------------------------------------------------
def _jpm(note: _Note, filed: date) -> str:
    final, plan = note.final, note.plan
    pricing, maturity = note.value("pricing_date"), note.value("maturity_date")
    initial = note.value("initial_level_usd")
    on_or_about = "" if final else "On or about "
    level_of = "the Initial Value"
    terms = [("Issuer", JPM_ISSUER),
             ("Guarantor", "JPMorgan Chase &amp; Co."),
             ("Fund", "The iShares® Bitcoin Trust ETF (Bloomberg ticker: IBIT)")]
    if plan.layout == "jpm_accin":
        terms += [
            ("Contingent Interest Payments", JPM_INTEREST),
            ("Interest Barrier / Trigger Value", note.level_text(note.principal, level_of)),
            ("Pricing Date", on_or_about + _date(pricing)),
            ("Autocall Review Dates*", _dates(note.calls["observation_date"])),
            ("Maturity Date*", on_or_about + _date(maturity)),
            ("Automatic Call", JPM_AUTOMATIC_CALL),
            ("Payment at Maturity", JPM_ACCIN_AT_MATURITY.format(
                loss=_pct(1 - float(note.principal["barrier_fraction_of_initial"])))),
            ("Final Review Date*", _date(note.principal["observation_date"])),
        ]
    elif plan.layout == "jpm_digital":
        buffer_amount = 1 - float(note.principal["barrier_fraction_of_initial"])
        terms += [
            ("Strike Date", _date(pricing)),
            ("Pricing Date", on_or_about + _date(pricing)),
            ("Contingent Digital Return", "23.95%"),
            ("Contingent Buffer Amount", _pct(buffer_amount)),
            ("Observation Date*", _date(note.principal["observation_date"])),
            ("Maturity Date*", on_or_about + _date(maturity)),
            ("Payment at Maturity", JPM_DIGITAL_AT_MATURITY),
        ]
    else:  # jpm_review
        terms += [
            ("Call Premium Amount", JPM_CALL_PREMIUM),
            ("Call Value", f"{_pct(float(note.calls.iloc[0]['barrier_fraction_of_initial']))} of the Initial Value"),
            ("Barrier Amount", _pct(1 - float(note.principal["barrier_fraction_of_initial"]))),
            ("Pricing Date", on_or_about + _date(pricing)),
            ("Review Dates*", _dates(note.calls["observation_date"])),
            ("Final Review Date*", _date(note.principal["observation_date"])),
            ("Maturity Date*", on_or_about + _date(maturity)),
        ]
    if plan.layout == "jpm_digital":
        initial_text = ("The closing price of one share of the Fund on the Strike Date" +
                        (f", which was {_usd(initial, 2)}" if final else ""))
        terms.append(("Strike Share Price", initial_text))
    else:
        terms.append(("Initial Value", "The closing price of one share of the Fund on the Pricing Date" +
                      (f", which was {_usd(initial, 2)}" if final else "")))
    terms.append(("CUSIP", note.value("cusip")))
    key_terms = "\n".join(f"<p><b>{name}:</b> {value}</p>" for name, value in terms)
    amount = _amount(note.value("aggregate_principal_usd")) if final else "$"
    return f"""<html><head><title>424B2</title></head><body>
{_prelim_banner(note, filed)}<table><tr><td>Pricing supplement to product supplement no. 4-I dated April 13, 2023, the
prospectus and prospectus supplement, each dated April 13, 2023, and the prospectus addendum dated June 3, 2024</td>
<td>Registration Statement Nos. 333-270004 and 333-270004-01<br>Dated {_date(filed)}<br>Rule 424(b)(2)</td></tr></table>
<p><b>JPMorgan Chase Financial Company LLC</b></p>
<p>Structured Investments</p>
<p><b>{amount}</b></p>
<p><b>{_esc(note.value("product_name"))}</b></p>
<p>Fully and Unconditionally Guaranteed by JPMorgan Chase &amp; Co.</p>
<ul><li>The notes are linked to the iShares® Bitcoin Trust ETF, which we refer to as the Fund.</li>
<li>Investors should be willing to accept the risk of losing some or all of their principal.</li>
<li>The Fund's shares may trade at a premium or a discount to their net asset value on any trading day.</li></ul>
<p><b>Key Terms</b></p>
{key_terms}
<p>* Subject to postponement in the event of a market disruption event.</p>
<table>
<tr><th></th><th>Price to Public (1)</th><th>Fees and Commissions (2)</th><th>Proceeds to Issuer</th></tr>
<tr><td>Per note</td><td>$1,000</td><td>$17.50</td><td>$982.50</td></tr>
<tr><td>Total</td><td>{amount}</td><td>$</td><td>$</td></tr>
</table>
<p>The notes are not bank deposits and are not insured by the Federal Deposit Insurance Corporation.</p>
</body></html>
"""


# -- Morgan Stanley ---------------------------------------------------------------------------------
def _ms(note: _Note, filed: date) -> str:
    final = note.final
    initial = note.value("initial_level_usd")
    expected = "" if final else "Expected to be "
    rows = [
        ("Issuer:", "Morgan Stanley Finance LLC"),
        ("Guarantor:", "Morgan Stanley"),
        ("Underlying shares:", "shares of the iShares® Bitcoin Trust ETF (the “underlying shares”)"),
        ("Aggregate principal amount:", _amount(note.value("aggregate_principal_usd")) if final else "$"),
        ("Stated principal amount:", "$1,000 per security"),
        ("Issue price:", "$1,000 per security"),
        ("Pricing date:", expected + _date(note.value("pricing_date"))),
        ("Maturity date:", expected + _date(note.value("maturity_date"))),
        ("Initial share price:", f"{_usd(initial, 2)}, which is the closing price of one underlying share on the pricing date"
         if final else "The closing price of one underlying share on the pricing date"),
        ("Downside threshold level:", note.level_text(note.principal, "the initial share price", 0)),
        ("Final determination date:", _date(note.principal["observation_date"])),
        ("Early redemption:", MS_EARLY_REDEMPTION),
        ("Redemption determination dates:", "See “Early redemption schedule” below"),
        ("CUSIP / ISIN:", f"{note.value('cusip')} / {note.value('isin')}"),
        ("Listing:", "The securities will not be listed on any securities exchange."),
    ]
    table = "\n".join(f"<tr><td><b>{a}</b></td><td>{b}</td></tr>" for a, b in rows)
    schedule = ""
    if len(note.calls):
        lines = []
        for i, call in enumerate(note.calls.itertuples(index=False)):
            level = (f"{_usd(call.barrier_level_usd, 2)} ({_pct(call.barrier_fraction_of_initial, 0)} of the initial "
                     "share price)") if final else f"{_pct(call.barrier_fraction_of_initial, 0)} of the initial share price"
            lines.append(f"<tr><td>{_date(call.observation_date)}</td><td>{level}</td><td>${1000 + 70 * (i + 1):,}.00</td></tr>")
        schedule = ("<p><b>Early redemption schedule</b></p>\n<table>\n<tr><th>Redemption determination date</th>"
                    "<th>Call threshold level</th><th>Early redemption payment</th></tr>\n" + "\n".join(lines) +
                    "\n</table>")
    return f"""<html><head><title>424B2</title></head><body>
{_prelim_banner(note, filed)}<p>Morgan Stanley Finance LLC</p>
<p>STRUCTURED INVESTMENTS</p>
<p>Opportunities in U.S. Assets</p>
<p><b>{_esc(note.value("product_name"))}</b></p>
<p>Fully and Unconditionally Guaranteed by Morgan Stanley</p>
<p>Principal at Risk Securities</p>
<p>The securities are unsecured obligations of Morgan Stanley Finance LLC (“MSFL”) and are fully and unconditionally
guaranteed by Morgan Stanley. At maturity, if the securities have not been redeemed early and the final share price is
less than the downside threshold level, investors will lose 1% for every 1% decline in the share price.</p>
<p><b>{"FINAL TERMS" if final else "KEY TERMS"}</b></p>
<table>
{table}
</table>
{schedule}
<p>Filed pursuant to Rule 424(b)(2), Registration Statement No. 333-275587 (dated {_date(filed)}).</p>
</body></html>
"""


# -- Goldman Sachs ----------------------------------------------------------------------------------
def _gs(note: _Note, filed: date) -> str:
    final = note.final
    level = note.level_text(note.principal, "the initial underlier level")
    maturity = pd.Timestamp(note.value("maturity_date")).date()
    observed = note.principal["observation_date"]
    determination = maturity - timedelta(days=3) if observed is None or pd.isna(observed) else observed
    rows = [
        ("Issuer:", "GS Finance Corp."),
        ("Guarantor:", "The Goldman Sachs Group, Inc."),
        ("Underlier:", "the iShares® Bitcoin Trust ETF (current Bloomberg symbol: “IBIT UP Equity”)"),
        ("Aggregate face amount:", _amount(note.value("aggregate_principal_usd")) if final else "$"),
        ("Trade date:", _date(note.value("pricing_date"))),
        ("Determination date:", _date(determination)),
        ("Stated maturity date:", _date(note.value("maturity_date"))),
        ("Initial underlier level:", _usd(note.value("initial_level_usd"), 2) if final else "[●]"),
        ("Trigger buffer level:", level),
    ]
    if note.coupon is not None:
        rows.append(("Coupon trigger level:", note.level_text(note.coupon, "the initial underlier level")))
    if len(note.calls):
        call_level = _pct(float(note.calls.iloc[0]["barrier_fraction_of_initial"]))
        rows += [("Call observation dates:", _dates(note.calls["observation_date"])),
                 ("Call level:", f"{call_level} of the initial underlier level")]
    rows += [("CUSIP no.:", note.value("cusip") if final else f"{note.issuer.cusip_prefix}[●]"),
             ("ISIN no.:", note.value("isin") if final else f"US{note.issuer.cusip_prefix}[●]")]
    table = "\n".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows)
    daily = ""
    if note.principal["barrier_observation"] == "daily":
        daily = ("<p>The trigger buffer level is observed daily: if the closing level of the underlier on any trading "
                 "day from but excluding the trade date to and including the determination date is less than the "
                 "trigger buffer level, a trigger event occurs.</p>")
    return f"""<html><head><title>424B2</title></head><body>
{_prelim_banner(note, filed)}<p>GS Finance Corp.</p>
<p><b>{_amount(note.value("aggregate_principal_usd")) if final else "$"}</b></p>
<p><b>{_esc(note.value("product_name"))}</b></p>
<p>guaranteed by The Goldman Sachs Group, Inc.</p>
<p>The notes will pay a coupon on a payment date if the closing level of the iShares® Bitcoin Trust ETF on the related
observation date is greater than or equal to the coupon trigger level.</p>
<p><b>Key Terms</b></p>
<table>
{table}
</table>
{daily}
<p>Goldman Sachs &amp; Co. LLC, Filed Pursuant to Rule 424(b)(2), Registration Statement No. 333-284538.</p>
</body></html>
"""


LAYOUTS = {"jpm_accin": _jpm, "jpm_digital": _jpm, "jpm_review": _jpm, "ms": _ms, "gs": _gs}


# -- the day's payloads -----------------------------------------------------------------------------
def _hit(note: _Note, filename: str) -> dict:
    first, issuer = note.first, note.issuer
    return {
        "_index": "edgar_file",
        "_id": f"{first['accession']}:{filename}",
        "_score": 12.5,
        "_source": {
            "ciks": [f"{issuer.cik:010d}"], "display_names": [issuer.display_name], "form": "424B2",
            "root_forms": ["424B2"], "adsh": first["accession"], "file_date": pd.Timestamp(first["filing_date"]).date().isoformat(),
            "period_ending": None, "items": [], "file_type": "424B2", "file_description": "424B2",
            "sequence": 1, "sics": ["6211"], "biz_states": ["NY"], "biz_locations": ["New York, NY"], "inc_states": ["DE"],
            "file_num": [FILE_NUMBERS[issuer.key]], "film_num": [f"25{int(hashlib.sha256(first['accession'].encode()).hexdigest()[:6], 16) % 10**7:07d}"],
            "xsl": None, "schema_version": None,
        },
    }


def render(canonical: dict[str, pd.DataFrame], day: date) -> list[Fetched]:
    if not is_trading_day(day):
        return []  # EDGAR files on business days; the schedule asks on weekdays
    notes = canonical.get("structured_notes")
    rows = pd.DataFrame() if notes is None else notes[pd.to_datetime(notes["filing_date"]).dt.date == day]
    documents, hits = [], []
    for _, filing in sorted(rows.groupby("accession"), key=lambda kv: kv[0]):
        note = _Note(filing)
        url = str(note.first["document_url"])
        filename = url.rsplit("/", 1)[1]
        hit = _hit(note, filename)
        hits.append(hit)
        params = sec_edgar.document_params(hit)
        page = LAYOUTS[note.plan.layout](note, day)
        documents.append(Fetched(page.encode("utf-8"), "document", url, params, "text/html", "htm"))
    body = {
        "took": 41, "timed_out": False, "_shards": {"total": 50, "successful": 50, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": len(hits), "relation": "eq"}, "max_score": 12.5 if hits else None, "hits": hits},
        "aggregations": {"form_filter": {"buckets": [{"key": "424B2", "doc_count": len(hits)}] if hits else []}},
    }
    params = sec_edgar.search_params(day)
    search = Fetched(json.dumps(body, indent=1, ensure_ascii=False).encode("utf-8"), "search",
                     sec_edgar.ENDPOINTS["search"], params, "application/json", sec_edgar.EXT)
    return [search, *documents]
