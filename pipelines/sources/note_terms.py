"""The terms of a structured note read from its pricing supplement (an SEC 424B2 HTML document).

Pricing supplements set their terms out as "Label: value" pairs, in two-column tables or in prose
paragraphs, and every issuer names the same term its own way. `LABELS` maps the names seen in
filings linked to the iShares Bitcoin Trust (JPMorgan, Morgan Stanley, Goldman Sachs, UBS, Citi,
BofA, Barclays, Wells Fargo wording) to one meaning; matching is on the whole label, lower case,
without parentheticals, footnote marks or the colon. A label naming two terms at once ("Interest
Barrier / Trigger Value") sets both.

* Levels: "$35.399, which is 70.00% of the Initial Value", "70.00% of the Initial Value" or a
  dollar figure alone. Both parts are kept as written (nothing derived here); a level given both
  ways must agree within 0.5% (else the filing is refused). An "... Amount" (Buffer Amount, Barrier
  Amount, Contingent Buffer Amount) is a fall from the initial value: 20% -> a barrier at 80%.
* Preliminary supplements ("Subject to completion", "Preliminary Pricing Supplement") leave blanks
  ("$[●]", "[●]", a bare "$"): a blank is unknown (None). A final supplement must give the initial
  value, the pricing and maturity dates, the aggregate principal amount and every barrier's level.
* Observation: a principal (knock-in, buffer) or coupon barrier is observed daily when a sentence
  naming it says "any trading day", "any day", "each/every trading day" or "daily"; otherwise at
  maturity (principal, with the final valuation date when given) or on the review dates (coupon).
  Autocall barriers are observed on their dates: a table with a date column and a call-level
  column, else the listed autocall/review dates with one call level, else one row without a date.
* CUSIP and ISIN check digits are verified.
Notes on several underlyings ("least/worst/lesser performing of ...") and notes whose underlying is
not IBIT raise `NotAnIbitNote`: they are outside the register (see docs/STRUCTURED_NOTES.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

UNDERLYING = "IBIT"
MAX_LABEL_CHARS = 90
MIN_AGGREGATE_USD = 10_000  # a smaller amount alone in a cell is a price per note ($1,000, $10)
LEVEL_TOLERANCE = 0.005  # a dollar level and its percentage may differ by rounding, not more


class TermsError(ValueError):
    """The document cannot be read as a pricing supplement: what is wrong, and which term."""

    def __init__(self, what: str, field: str | None = None):
        self.what, self.field = what, field
        super().__init__(what)


class NotAnIbitNote(Exception):
    """The filing names the iShares Bitcoin Trust but is not a note on IBIT alone."""


# -- labels ---------------------------------------------------------------------------------------
def _labels(meaning: str, *names: str) -> dict[str, str]:
    return {name: meaning for name in names}


LABELS: dict[str, str] = {
    **_labels("issuer", "issuer"),
    **_labels("underlying", "fund", "underlying", "underlying fund", "underlying shares", "underlying asset",
              "underlier", "reference asset", "underlying etf", "the fund", "the underlying"),
    **_labels("pricing_date", "pricing date", "trade date", "initial valuation date", "pricing date and trade date"),
    **_labels("strike_date", "strike date"),  # the initial value's date when it precedes the pricing date
    **_labels("maturity_date", "maturity date", "stated maturity date", "maturity"),
    **_labels("final_valuation_date", "final review date", "final valuation date", "valuation date",
              "final determination date", "determination date", "final observation date",
              "final calculation day", "final averaging date", "observation date"),
    **_labels("initial_level", "initial value", "initial share price", "strike share price", "initial level",
              "initial underlier level", "initial underlying value", "initial underlying price", "initial price",
              "starting price", "starting value", "strike price", "strike value", "initial fund price",
              "initial closing price", "initial underlying level"),
    **_labels("principal", "aggregate principal amount", "aggregate face amount", "aggregate stated principal amount",
              "aggregate amount", "aggregate principal amount of notes", "aggregate principal amount of securities"),
    **_labels("cusip", "cusip", "cusip no.", "cusip number", "cusip/isin", "cusip / isin", "cusip and isin"),
    **_labels("isin", "isin", "isin no.", "isin number"),
    **_labels("autocall_dates", "autocall review dates", "call review dates", "autocall observation dates",
              "call observation dates", "redemption determination dates", "call valuation dates",
              "autocall dates", "call dates", "early redemption determination dates", "call determination dates",
              "potential autocall dates"),
    **_labels("review_dates", "review dates", "observation dates", "calculation days"),
    # a call rule in words ("... greater than or equal to the Initial Value, the notes will be automatically called")
    **_labels("autocall_rule", "automatic call", "automatic early redemption", "early redemption", "automatic redemption",
              "autocall", "autocall feature"),
    # barriers: "barrier:<kind>"
    **_labels("barrier:knock_in", "trigger value", "trigger level", "trigger price", "barrier amount",
              "barrier level", "barrier value", "barrier price", "downside threshold", "downside threshold level",
              "downside threshold price", "downside threshold value", "knock-in level", "knock-in price",
              "knock-in value", "knock-in barrier", "final barrier value", "final barrier price",
              "final barrier level", "trigger buffer level", "threshold value", "threshold price",
              "principal barrier", "barrier", "protection barrier", "trigger"),
    **_labels("barrier:buffer", "buffer amount", "contingent buffer amount", "buffer level", "buffer value",
              "buffer price", "buffer percentage"),
    **_labels("barrier:coupon", "interest barrier", "coupon barrier", "coupon barrier level", "coupon barrier value",
              "coupon barrier price", "coupon threshold price", "coupon threshold level", "coupon threshold value",
              "coupon trigger level", "coupon trigger value", "contingent coupon barrier", "interest barrier level"),
    **_labels("barrier:autocall", "call value", "autocall level", "autocall value", "autocall barrier",
              "call threshold", "call threshold level", "call threshold value", "call threshold price",
              "call level", "redemption threshold level", "autocall threshold", "call trigger level"),
}
PRINCIPAL_KINDS = ("knock_in", "buffer")
# "... amount" / "... percentage" labels give a fall from the initial value, not a level.
DECLINE_LABEL = re.compile(r"\b(amount|percentage)$")
# the words naming a barrier in a sentence, beside its own label
BARRIER_WORDS = {"knock_in": ("knock-in event", "trigger event", "barrier event"), "buffer": (), "coupon": (),
                 "autocall": ()}

# -- value patterns -------------------------------------------------------------------------------
MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                          "nov", "dec"))}
_DATE = re.compile(
    r"\b(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+(\d{1,2}),?\s+(\d{4})\b|\b(\d{1,2})/(\d{1,2})/(\d{4})\b",
    re.IGNORECASE)
_MONEY = re.compile(r"\$\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")
_MONEY_BLANK = re.compile(r"\$\s*\[")
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_RANGE = re.compile(r"\d\s*%?\s*(?:–|—|-|to)\s*\d{1,3}(?:\.\d+)?\s*%")
_COVER_AMOUNT = re.compile(r"^(?:US)?\$\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")
_COVER_BLANK = re.compile(r"^(?:US)?\$\s*(?:\[\s*[●•\u25cf]?\s*\])?$")
_CUSIP = re.compile(r"\b(\d{3}[0-9A-Z]{5}\d)\b")
_ISIN = re.compile(r"\b([A-Z]{2}[0-9A-Z]{9}\d)\b")
_DAILY = re.compile(r"\bany (?:scheduled )?trading day\b|\bany day\b|\b(?:each|every) (?:scheduled )?trading day\b|"
                    r"\bdaily\b", re.IGNORECASE)
_SUBJECT_TO_COMPLETION = re.compile(r"subject to completion", re.IGNORECASE)
_PRELIMINARY = re.compile(r"preliminary pricing supplement", re.IGNORECASE)
_SEVERAL_UNDERLYINGS = re.compile(r"\b(?:least|worst|lesser|lowest)[\s-]+perform", re.IGNORECASE)
_IBIT_NAME = re.compile(r"ishares\W*(?:®|&reg;)?\W*bitcoin\s+trust", re.IGNORECASE)
_CALL_AT_INITIAL = re.compile(r"(?:greater than or equal to|at or above|equal to or greater than)\s+(?:the|its)\s+"
                              r"(?:initial|starting|strike)", re.IGNORECASE)
_PERCENT_OF_INITIAL = re.compile(r"\d{1,3}(?:\.\d+)?\s*%\s+of\s+(?:the|its)\s+(?:initial|starting|strike)",
                                 re.IGNORECASE)
_TITLE = re.compile(r"\b(notes|securities|plus)\b.*\b(linked to|based on)\b", re.IGNORECASE)


# -- the document as blocks -----------------------------------------------------------------------
_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "title", "center", "blockquote", "hr",
               "ul", "ol", "section", "dt", "dd"}


class _Document(HTMLParser):
    """Paragraphs (one cell each) and table rows (their cells) in document order, and every table's
    rows. Inside a cell, paragraph breaks stay as newlines; nested tables give their own rows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[list[str]] = []
        self.tables: list[list[list[str]]] = []
        self._para: list[str] = []
        self._rows: list[dict] = []
        self._open_tables: list[list[list[str]]] = []
        self._skip = 0

    def _break(self) -> None:
        if self._rows and self._rows[-1]["cell"] is not None:
            self._rows[-1]["cell"].append("\n")
        else:
            self._flush()

    def _flush(self) -> None:
        text = _clean("".join(self._para))
        if text:
            self.blocks.append([text])
        self._para = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            if not (self._rows and self._rows[-1]["cell"] is not None):
                self._flush()
            self._open_tables.append([])
        elif tag == "tr":
            self._rows.append({"cells": [], "cell": None})
        elif tag in ("td", "th") and self._rows:
            self._rows[-1]["cell"] = []
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th"):
            if self._rows and self._rows[-1]["cell"] is not None:
                self._rows[-1]["cells"].append(_clean("".join(self._rows[-1]["cell"])))
                self._rows[-1]["cell"] = None
        elif tag == "tr":
            if self._rows:
                cells = self._rows.pop()["cells"]
                if any(cells):
                    self.blocks.append(cells)
                    if self._open_tables:
                        self._open_tables[-1].append(cells)
        elif tag == "table":
            if self._open_tables:
                self.tables.append(self._open_tables.pop())
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data):
        if self._skip:
            return
        if self._rows:
            if self._rows[-1]["cell"] is not None:
                self._rows[-1]["cell"].append(data)
        else:
            self._para.append(data)

    def close(self):
        super().close()
        self._flush()


def _clean(text: str) -> str:
    lines = (" ".join(line.replace("\xa0", " ").split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def norm_label(text: str) -> str:
    t = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text.lower())
    t = re.sub(r"[®™*†‡§:]|\d+$", " ", t)
    return " ".join(t.split())


@dataclass
class _Read:
    blocks: list[list[str]]
    tables: list[list[list[str]]]
    lines: list[str]
    text: str
    pairs: list[tuple[str, str]]  # (label as written, value) in document order


def read_document(payload: bytes) -> _Read:
    try:
        html = payload.decode("utf-8")
    except UnicodeDecodeError:
        html = payload.decode("cp1252", errors="replace")
    doc = _Document()
    doc.feed(html)
    doc.close()
    lines: list[str] = []
    pairs: list[tuple[str, str]] = []
    for cells in doc.blocks:
        filled = [c for c in cells if c]
        if len(filled) >= 2:
            lines.append(" | ".join(c.replace("\n", " ") for c in filled))
            label = filled[0].rstrip(":").strip()
            if len(label) <= MAX_LABEL_CHARS and "\n" not in label:
                pairs.append((label, " ".join(c.replace("\n", " ") for c in filled[1:])))
        else:
            lines.extend(filled[0].split("\n") if filled else [])
        for cell in filled:
            for line in cell.split("\n"):
                head, sep, tail = line.partition(":")
                if sep and 0 < len(head) <= MAX_LABEL_CHARS and tail.strip():
                    pairs.append((head.strip(), tail.strip()))
    return _Read(doc.blocks, doc.tables, lines, " ".join(lines), pairs)


# -- values ---------------------------------------------------------------------------------------
def parse_dates(text: str) -> list[date]:
    out = []
    for m in _DATE.finditer(text):
        try:
            if m.group(1):
                out.append(date(int(m.group(3)), MONTHS[m.group(1)[:3].lower()], int(m.group(2))))
            else:
                out.append(date(int(m.group(6)), int(m.group(4)), int(m.group(5))))
        except ValueError:
            continue
    return out


def first_date(text: str) -> date | None:
    found = parse_dates(text)
    return found[0] if found else None


def money(text: str) -> float | None:
    """The first dollar figure in `text`; None when there is none, or when the first is a blank ("$[●]":
    a later figure would be another term's)."""
    m, blank = _MONEY.search(text), _MONEY_BLANK.search(text)
    if not m or (blank and blank.start() < m.start()):
        return None
    return float(m.group(1).replace(",", "") + (m.group(2) or ""))


def percent(text: str) -> float | None:
    """The first percentage in `text` as a decimal (70.00% -> 0.7); None when there is none, or a range."""
    if _RANGE.search(text):
        return None
    m = _PERCENT.search(text)
    return round(float(m.group(1)) / 100, 10) if m else None


def _check_digit_cusip(code: str) -> bool:
    total = 0
    for i, ch in enumerate(code[:8]):
        v = int(ch) if ch.isdigit() else ord(ch) - 55
        if i % 2:
            v *= 2
        total += v // 10 + v % 10
    return (10 - total % 10) % 10 == int(code[8])


def _check_digit_isin(code: str) -> bool:
    digits = "".join(str(int(ch, 36)) for ch in code[:11])
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return (10 - total % 10) % 10 == int(code[11])


def cusip_check_digit(code8: str) -> str:
    """The ninth character of a CUSIP (for tests and the simulator)."""
    return next(d for d in "0123456789" if _check_digit_cusip(code8 + d))


def isin_for_cusip(cusip: str, country: str = "US") -> str:
    body = country + cusip
    return body + next(d for d in "0123456789" if _check_digit_isin(body + d))


# -- the terms ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Barrier:
    kind: str
    seq: int
    observation: str  # maturity | daily | review_dates
    observation_date: date | None
    level_usd: float | None
    fraction_of_initial: float | None
    label: str  # as the filing writes it


@dataclass
class NoteTerms:
    status: str  # preliminary | final
    issuer: str
    underlying: str
    product_name: str | None = None
    cusip: str | None = None
    isin: str | None = None
    pricing_date: date | None = None
    maturity_date: date | None = None
    initial_level_usd: float | None = None
    aggregate_principal_usd: float | None = None
    barriers: list[Barrier] = field(default_factory=list)


def _first_terms(pairs: list[tuple[str, str]]) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """meaning -> (label as written, value) of the first pair naming it; barriers separately, by kind."""
    terms: dict[str, tuple[str, str]] = {}
    barriers: dict[str, tuple[str, str]] = {}
    for label, value in pairs:
        written = [label] if norm_label(label) in LABELS else re.split(r"\s*/\s*|\s+and\s+", label)
        for part in written:
            meaning = LABELS.get(norm_label(part))
            if meaning is None:
                continue
            name = part.strip(" :*")
            if meaning.startswith("barrier:"):
                barriers.setdefault(meaning.split(":", 1)[1], (name, value))
            else:
                terms.setdefault(meaning, (name, value))
    return terms, barriers


def _level(label: str, value: str) -> tuple[float | None, float | None]:
    """(dollar level, fraction of the initial value) as a barrier's value states them."""
    if DECLINE_LABEL.search(norm_label(label)):
        fall = percent(value)
        return None, (round(1 - fall, 10) if fall is not None else None)
    return money(value), percent(value)


def _observed_daily(sentences: list[str], label: str, kind: str) -> bool:
    anchors = (norm_label(label), *BARRIER_WORDS.get(kind, ()))
    return any(_DAILY.search(s) and any(a in s for a in anchors) for s in sentences)


def _autocall_table(tables: list[list[list[str]]]) -> list[tuple[date, float | None, float | None]]:
    """Rows of a schedule table whose header has a date column and a call-level column."""
    for table in tables:
        if len(table) < 2:
            continue
        header = [norm_label(c.replace("\n", " ")) for c in table[0]]
        call_col = next((i for i, h in enumerate(header) if LABELS.get(h) == "barrier:autocall"), None)
        date_col = next((i for i, h in enumerate(header) if "date" in h or "day" in h), None)
        if call_col is None or date_col is None:
            continue
        rows = []
        for row in table[1:]:
            if max(call_col, date_col) >= len(row):
                continue
            when = first_date(row[date_col])
            if when is None:
                continue
            usd, frac = _level(header[call_col], row[call_col])
            rows.append((when, usd, frac))
        if rows:
            return rows
    return []


def _cover_principal(blocks: list[list[str]]) -> float | None:
    """The amount on the cover: a paragraph or table cell holding only an amount ("$1,704,000"); "$[●]" or
    a bare "$" (a preliminary supplement) is a blank."""
    for cells in blocks[:60]:
        for cell in cells:
            text = cell.strip()
            m = _COVER_AMOUNT.match(text)
            if m and float(m.group(1).replace(",", "")) >= MIN_AGGREGATE_USD:
                return float(m.group(1).replace(",", "") + (m.group(2) or ""))
            if _COVER_BLANK.match(text):
                return None
    return None


def _product_name(lines: list[str]) -> str | None:
    """The title: a line naming notes/securities linked to (based on) the iShares Bitcoin Trust, or two
    lines when the title breaks before "Linked to" / "Based on"."""
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        for candidate in (line, f"{line} {following}" if re.match(r"(linked to|based on)\b", following, re.IGNORECASE) else ""):
            if candidate and _TITLE.search(candidate) and _IBIT_NAME.search(candidate):
                return candidate[:200]
    return None


def _identifiers(terms) -> tuple[str | None, str | None]:
    cusip = isin = None
    for meaning in ("cusip", "isin"):
        if meaning not in terms:
            continue
        label, value = terms[meaning]
        for code in _ISIN.findall(value):
            if not _check_digit_isin(code):
                raise TermsError(f"ISIN {code} has a wrong check digit", field=label)
            isin = isin or code
        for code in _CUSIP.findall(value):
            if not _check_digit_cusip(code):
                raise TermsError(f"CUSIP {code} has a wrong check digit", field=label)
            cusip = cusip or code
    return cusip, isin


def parse_terms(payload: bytes, fallback_issuer: str | None = None) -> NoteTerms:
    """The note's terms, or TermsError (what and which term), or NotAnIbitNote."""
    doc = read_document(payload)
    if not doc.text.strip():
        raise TermsError("no text in the document (not an HTML pricing supplement?)")
    head = doc.text[:6000]
    status = "preliminary" if _SUBJECT_TO_COMPLETION.search(head) or _PRELIMINARY.search(doc.text[:1500]) else "final"
    terms, barrier_terms = _first_terms(doc.pairs)

    if _SEVERAL_UNDERLYINGS.search(doc.text):
        raise NotAnIbitNote("a note on the least/worst performing of several underlyings")
    if "underlying" in terms:
        label, value = terms["underlying"]
        if not (_IBIT_NAME.search(value) or re.search(r"\bIBIT\b", value)):
            raise NotAnIbitNote(f"its {label!r} is {value[:80]!r}, not the iShares Bitcoin Trust")
    elif not _IBIT_NAME.search(head):
        raise TermsError(f"not a pricing supplement on the iShares Bitcoin Trust: no Fund/Underlying term and no "
                         f"'iShares Bitcoin Trust' in its first lines (it begins {doc.lines[0][:80]!r})",
                         field="Underlying")

    issuer = None
    if "issuer" in terms:
        issuer = re.split(r",|\s\(|;", terms["issuer"][1])[0].strip() or None
    issuer = issuer or fallback_issuer
    if not issuer:
        raise TermsError("no Issuer term", field="Issuer")

    def date_term(meaning: str) -> tuple[str, date | None]:
        if meaning not in terms:
            return meaning, None
        label, value = terms[meaning]
        return label, first_date(value)

    pricing_label, pricing_date = date_term("pricing_date")
    if pricing_date is None and "strike_date" in terms:
        pricing_label, pricing_date = date_term("strike_date")
    maturity_label, maturity_date = date_term("maturity_date")
    _, final_valuation = date_term("final_valuation_date")

    initial = None
    if "initial_level" in terms:
        initial = money(terms["initial_level"][1])
    if "principal" in terms:
        principal = money(terms["principal"][1])
    else:
        principal = _cover_principal(doc.blocks)
    cusip, isin = _identifiers(terms)
    product = _product_name(doc.lines[:80])

    if "autocall" not in barrier_terms and "autocall_rule" in terms:
        label, value = terms["autocall_rule"]
        of_initial = _PERCENT_OF_INITIAL.search(value)
        if of_initial:
            barrier_terms["autocall"] = (label, of_initial.group(0))
        elif _CALL_AT_INITIAL.search(value):
            barrier_terms["autocall"] = (label, "100% of the initial value")
    sentences = [s.lower() for line in doc.lines for s in re.split(r"(?<=[.;])\s+", line)]
    barriers: list[Barrier] = []
    for kind in ("knock_in", "buffer", "coupon"):
        if kind not in barrier_terms:
            continue
        label, value = barrier_terms[kind]
        usd, frac = _level(label, value)
        daily = _observed_daily(sentences, label, kind)
        if kind in PRINCIPAL_KINDS:
            observation = "daily" if daily else "maturity"
        else:
            observation = "daily" if daily else "review_dates"
        when = final_valuation if observation == "maturity" else None
        barriers.append(Barrier(kind, 1, observation, when, usd, frac, label))
    barriers += _autocall_barriers(doc, terms, barrier_terms.get("autocall"))
    if not barriers:
        raise TermsError("no barrier terms (no Trigger Value, Barrier Level, Downside Threshold, Knock-In Level, "
                         "Buffer Amount, Interest/Coupon Barrier or Call Value)", field="Trigger Value")

    notes = NoteTerms(status, issuer, UNDERLYING, product, cusip, isin, pricing_date, maturity_date, initial,
                      principal, barriers)
    _check(notes, pricing_label, maturity_label)
    return notes


def _autocall_barriers(doc: _Read, terms, call_term: tuple[str, str] | None) -> list[Barrier]:
    """The autocall schedule: a schedule table when there is one; else the call level on each listed
    autocall (or review) date; else the call level alone."""
    scheduled = _autocall_table(doc.tables)
    if scheduled:
        return [Barrier("autocall", i + 1, "review_dates", when, usd, frac, "autocall schedule")
                for i, (when, usd, frac) in enumerate(scheduled)]
    if call_term is None:
        return []
    label, value = call_term
    usd, frac = _level(label, value)
    dates_term = terms.get("autocall_dates") or terms.get("review_dates")
    dates = parse_dates(dates_term[1]) if dates_term else []
    if not dates:
        return [Barrier("autocall", 1, "review_dates", None, usd, frac, label)]
    return [Barrier("autocall", i + 1, "review_dates", when, usd, frac, label) for i, when in enumerate(dates)]


def _check(notes: NoteTerms, pricing_label: str, maturity_label: str) -> None:
    """What makes a filing unreadable rather than merely preliminary."""
    final = notes.status == "final"
    if final:
        missing = [name for name, value in (
            ("Initial Value", notes.initial_level_usd), (pricing_label or "Pricing Date", notes.pricing_date),
            (maturity_label or "Maturity Date", notes.maturity_date),
            ("aggregate principal amount", notes.aggregate_principal_usd)) if value is None]
        if missing:
            raise TermsError(f"a final pricing supplement without {', '.join(missing)} (blank or unreadable)",
                             field=missing[0])
    if notes.pricing_date and notes.maturity_date and notes.maturity_date <= notes.pricing_date:
        raise TermsError(f"maturity date {notes.maturity_date} is not after the pricing date {notes.pricing_date}",
                         field=maturity_label)
    for b in notes.barriers:
        if b.fraction_of_initial is not None and not 0 < b.fraction_of_initial <= 2:
            raise TermsError(f"{b.label}: {b.fraction_of_initial:.2%} of the initial value is not a barrier",
                             field=b.label)
        if final and b.level_usd is None and b.fraction_of_initial is None:
            raise TermsError(f"{b.label}: no level (neither US$ nor % of the initial value) in a final supplement",
                             field=b.label)
        if b.level_usd is not None and b.fraction_of_initial is not None and notes.initial_level_usd:
            implied = notes.initial_level_usd * b.fraction_of_initial
            if abs(b.level_usd - implied) > LEVEL_TOLERANCE * implied:
                raise TermsError(f"{b.label}: ${b.level_usd:,.4f} is not {b.fraction_of_initial:.2%} of the initial "
                                 f"value ${notes.initial_level_usd:,.4f} (${implied:,.4f})", field=b.label)
        if b.observation_date and notes.pricing_date and b.observation_date <= notes.pricing_date:
            raise TermsError(f"{b.label}: observation date {b.observation_date} is not after the pricing date",
                             field=b.label)
        if b.observation_date and notes.maturity_date and b.observation_date > notes.maturity_date:
            raise TermsError(f"{b.label}: observation date {b.observation_date} is after the maturity date",
                             field=b.label)
