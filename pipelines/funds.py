"""The US spot bitcoin ETFs whose flows the warehouse adds up (`fct_etf_flows`'s `ALL` total).

`btcflows import` refuses an `etf_flows.csv` ticker that is not listed here unless the import
declares it (`--fund TICKER`): a stray ticker (an ether fund, a typo) would otherwise be added to
the all-fund total without a word. A fund that launches later is added here once, or declared on
each import that carries it. Farside's page is itself a list of these funds: a new column there is
kept as a new ticker, with a warning (pipelines/sources/farside.py).
"""
from __future__ import annotations

from collections.abc import Iterable

# Farside's columns: the Oct 2024 capture's order, then two that the 2024-2026 real data carries.
KNOWN_FUNDS: tuple[str, ...] = (
    "IBIT", "FBTC", "BITB", "ARKB", "BTCO", "EZBC", "BRRR", "HODL", "BTCW", "GBTC", "BTC", "DEFI", "MSBT",
)


def unknown_funds(tickers: Iterable[str], declared: Iterable[str] = ()) -> list[str]:
    """The tickers that are neither known nor declared, in order of first appearance."""
    allowed = set(KNOWN_FUNDS) | {t.strip().upper() for t in declared}
    return list(dict.fromkeys(t for t in tickers if t not in allowed))
