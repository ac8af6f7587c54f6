"""SEC EDGAR: pricing supplements (424B2) of structured notes linked to the iShares Bitcoin Trust.

Endpoints: full-text search `GET https://efts.sec.gov/LATEST/search-index` (`q="iShares Bitcoin
Trust"`, `forms=424B2`, `dateRange=custom`, `startdt`=`enddt`= the partition day, `from`=offset;
Elasticsearch-style JSON, paged by `len(hits.hits)` up to `hits.total.value`), then each hit's
document `https://www.sec.gov/Archives/edgar/data/<CIK>/<accession without dashes>/<file>` (HTML).
Every response is archived before anything parses it.
Access: no key, but SEC fair access wants a User-Agent naming the requester and an email
(BTCFLOWS_USER_AGENT_SEC_EDGAR, the per-source User-Agent of pipelines/sources/http.py, e.g. "Jane
Analyst jane@example.com", or BTCFLOWS_USER_AGENT when it carries an email; missing -> a clear error, no
request) and at most 10 requests a second per user across machines (we send 5).
Parsing: a search page holds no rows (it is checked and kept as the day's index); a document gives
one row per barrier of its note (`pipelines.sources.note_terms`): filing_date = the hit's
`file_date` (= the partition), accession, issuer and its CIK, the document URL, preliminary or
final, CUSIP/ISIN, pricing and maturity dates, initial level, aggregate principal, and each
barrier as written (US$ and/or fraction of the initial level). A filing on several underlyings or
not on IBIT gives no rows and a warning; one that cannot be read fails its window (listed by
`btcflows archive --bad`). History: back to 2001; nothing to snapshot.
"""
from __future__ import annotations

import json
import re
import warnings
from datetime import date
from urllib.parse import urlparse

from pipelines.archive import PayloadMeta
from pipelines.sources.base import Fetched, Parsed, ParseError, frame, load_json, partition_date
from pipelines.sources.http import FetchError, HttpClient
from pipelines.sources.note_terms import NotAnIbitNote, TermsError, parse_terms

NAME = "sec-edgar"
DATASET = "structured_notes"
DATASETS = (DATASET,)
EXT = "json"  # the search pages; documents are archived as .htm
RATE_PER_SECOND = 5.0  # SEC fair access: <= 10 requests/s per user, across all machines
SNAPSHOT = False
LOOKAHEAD_DAYS = 0  # a filing's rows are dated on its filing day, the partition it is fetched for
ENDPOINTS = {
    "search": "https://efts.sec.gov/LATEST/search-index",
    "document": "https://www.sec.gov/Archives/edgar/data/{cik}/{folder}/{filename}",
}
QUERY = '"iShares Bitcoin Trust"'
FORM = "424B2"
MAX_PAGES = 100
USER_AGENT_ENV = "BTCFLOWS_USER_AGENT_SEC_EDGAR"  # the per-source variable (pipelines/sources/http.py)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_ACCESSION = re.compile(r"^\d{10}-\d{2}-\d{6}$")


class UserAgentMissing(RuntimeError):
    """Live fetches from EDGAR need a User-Agent with a name and an email address."""


def require_declared_user_agent(client: HttpClient) -> None:
    """The client's User-Agent (per source: BTCFLOWS_USER_AGENT_SEC_EDGAR, else BTCFLOWS_USER_AGENT) must
    carry an email address."""
    if not _EMAIL.search(client.user_agent_header):
        raise UserAgentMissing(
            f"{NAME}: SEC EDGAR refuses requests without a User-Agent naming you and an email address: set "
            f"{USER_AGENT_ENV} (e.g. 'Jane Analyst jane@example.com'); nothing was fetched")


# -- search pages ---------------------------------------------------------------------------------
def search_params(day: date, offset: int = 0) -> dict:
    return {"q": QUERY, "forms": FORM, "dateRange": "custom", "startdt": day.isoformat(),
            "enddt": day.isoformat(), "from": str(offset)}


def search_hits(body) -> tuple[list[dict], int]:
    """(hits, total) of an EFTS search body; ParseError naming the field when it has another shape."""
    if not isinstance(body, dict):
        raise ParseError(NAME, f"search: expected a JSON object, got {type(body).__name__}")
    if "error" in body or not isinstance(body.get("hits"), dict):
        raise ParseError(NAME, f"search: no hits in the body ({str(body.get('error', body))[:200]})", field="hits")
    hits, total = body["hits"].get("hits"), body["hits"].get("total")
    if not isinstance(hits, list):
        raise ParseError(NAME, "search: hits.hits is not a list", field="hits.hits")
    value = total.get("value") if isinstance(total, dict) else total
    if not isinstance(value, int):
        raise ParseError(NAME, f"search: hits.total is not a count: {total!r}", field="hits.total")
    for i, hit in enumerate(hits):
        document_params(hit, i)
    return hits, value


def document_params(hit, i: int = 0) -> dict:
    """The request parameters we keep beside a document: accession, CIK, file name, filing date, filer."""
    if not isinstance(hit, dict) or not isinstance(hit.get("_source"), dict):
        raise ParseError(NAME, f"search: hit {i} has no _source", field=f"hits.hits[{i}]")
    src = hit["_source"]
    accession, _, filename = str(hit.get("_id", "")).partition(":")
    accession = src.get("adsh") or accession
    ciks = src.get("ciks") or []
    if not _ACCESSION.match(str(accession)) or not filename or not ciks or not str(ciks[0]).strip().isdigit():
        raise ParseError(NAME, f"search: hit {i} lacks an accession, a file name or a CIK: {hit.get('_id')!r}",
                         field=f"hits.hits[{i}]._id")
    try:
        file_date = date.fromisoformat(str(src.get("file_date"))).isoformat()
    except ValueError:
        raise ParseError(NAME, f"search: hit {i} has no file_date: {src.get('file_date')!r}",
                         field=f"hits.hits[{i}]._source.file_date") from None
    names = src.get("display_names") or [""]
    return {"adsh": accession, "cik": str(int(ciks[0])), "filename": filename, "file_date": file_date,
            "form": str(src.get("form", "")), "file_type": str(src.get("file_type", "")),
            "display_name": str(names[0])}


def document_url(params: dict) -> str:
    return ENDPOINTS["document"].format(cik=params["cik"], folder=params["adsh"].replace("-", ""),
                                        filename=params["filename"])


def is_pricing_supplement(params: dict) -> bool:
    """The filing's main document (not an exhibit such as the filing-fee table)."""
    return params["form"].upper().startswith("424B") and params["file_type"].upper().startswith("424B")


# -- parse ----------------------------------------------------------------------------------------
def parse(payload: bytes, meta: PayloadMeta) -> Parsed:
    endpoint = meta.endpoint or ("search" if payload.lstrip()[:1] == b"{" else "document")
    if endpoint == "search":
        search_hits(load_json(NAME, payload))
        return Parsed(DATASET, frame(DATASET, []))
    if endpoint != "document":
        raise ParseError(NAME, f"unknown endpoint {meta.endpoint!r}; expected one of {sorted(ENDPOINTS)}")
    return Parsed(DATASET, frame(DATASET, parse_document(payload, meta)))


def _filing(meta: PayloadMeta) -> tuple[str, str | None, date]:
    params = meta.params or {}
    accession, cik = params.get("adsh"), params.get("cik")
    path = urlparse(meta.url or "").path.split("/")
    if "data" in path and len(path) > path.index("data") + 2:  # /Archives/edgar/data/<cik>/<folder>/<file>
        cik = cik or path[path.index("data") + 1]
        folder = path[path.index("data") + 2]
        if not accession and re.fullmatch(r"\d{18}", folder):
            accession = f"{folder[:10]}-{folder[10:12]}-{folder[12:]}"
    if not accession or not _ACCESSION.match(accession):
        raise ParseError(NAME, "the document's accession number is unknown (no EDGAR URL or `adsh` parameter)",
                         field="adsh")
    filed = params.get("file_date")
    filing_date = date.fromisoformat(filed) if filed else partition_date(meta)
    if filing_date is None:
        raise ParseError(NAME, "the document's filing date is unknown (no `file_date` parameter or partition)",
                         field="file_date")
    return accession, (str(int(cik)) if cik and str(cik).isdigit() else None), filing_date


def parse_document(payload: bytes, meta: PayloadMeta) -> list[dict]:
    accession, cik, filing_date = _filing(meta)
    display = re.sub(r"\s*\(.*$", "", (meta.params or {}).get("display_name", "")).strip() or None
    try:
        terms = parse_terms(payload, fallback_issuer=display)
    except TermsError as exc:
        raise ParseError(NAME, f"accession {accession}: {exc.what}", field=exc.field) from None
    except NotAnIbitNote as exc:
        warnings.warn(f"{NAME}: accession {accession} is not in the register: {exc}", stacklevel=2)
        return []
    note = {
        "filing_date": filing_date, "accession": accession, "issuer": terms.issuer, "issuer_cik": cik,
        "document_url": meta.url or None, "document_status": terms.status, "product_name": terms.product_name,
        "cusip": terms.cusip, "isin": terms.isin, "underlying": terms.underlying,
        "pricing_date": terms.pricing_date, "maturity_date": terms.maturity_date,
        "initial_level_usd": terms.initial_level_usd, "aggregate_principal_usd": terms.aggregate_principal_usd,
        "source": NAME,
    }
    return [{**note, "barrier_kind": b.kind, "barrier_seq": b.seq, "barrier_observation": b.observation,
             "observation_date": b.observation_date, "barrier_level_usd": b.level_usd,
             "barrier_fraction_of_initial": b.fraction_of_initial} for b in terms.barriers]


# -- fetch ----------------------------------------------------------------------------------------
def fetch(client: HttpClient, day: date, max_pages: int = MAX_PAGES) -> list[Fetched]:
    """The day's search pages (every page archived), then each pricing supplement they list."""
    require_declared_user_agent(client)
    url = ENDPOINTS["search"]
    out: list[Fetched] = []
    documents: dict[str, dict] = {}
    offset = 0
    for _ in range(max_pages):
        params = search_params(day, offset)
        resp = client.get(url, params=params)
        out.append(Fetched(resp.content, "search", url, params, resp.headers.get("content-type", "application/json"),
                           EXT))
        try:
            hits, total = search_hits(json.loads(resp.content))
        except (ParseError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            # not "no filings": a failed fetch (its bodies archived as such), so a later good fetch
            # of the day is not failed by this one on every replay
            raise FetchError(NAME, str(resp.request.url), resp.status_code, 1,
                             f"not a search result ({exc}): a failed fetch, not 'no filings'", response=resp) from None
        for i, hit in enumerate(hits):
            params_i = document_params(hit, i)
            if is_pricing_supplement(params_i):
                documents.setdefault(f"{params_i['adsh']}:{params_i['filename']}", params_i)
        offset += len(hits)
        if not hits or offset >= total:
            break
    for params in documents.values():
        doc_url = document_url(params)
        resp = client.get(doc_url)
        out.append(Fetched(resp.content, "document", doc_url, params, resp.headers.get("content-type", "text/html"),
                           "htm"))
    return out
