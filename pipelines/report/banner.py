"""Which warning a chart carries, from the `data_mode` values of the rows it draws.

The marts say per row: 'simulated', 'real' (or 'live' upstream), 'mixed', or null (no raw row reached).
A chart built from any simulated row must say so on the image itself, not only in the page around it."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SIMULATED_TEXT = "SIMULATED DATA — not market data"
MIXED_TEXT = "MIXED simulated and real data — not market data alone"


@dataclass(frozen=True)
class Banner:
    kind: str  # "simulated" | "mixed"
    text: str
    color: str


SIMULATED = Banner("simulated", SIMULATED_TEXT, "#b00020")
MIXED = Banner("mixed", MIXED_TEXT, "#b35900")


def banner_for(modes: Iterable[object]) -> Banner | None:
    """SIMULATED when every row that has a mode is simulated; MIXED when any row is 'mixed' or rows of
    both kinds meet in one chart; None for real (or live) data, and when no row has a mode."""
    seen = {str(m).strip().lower() for m in modes if isinstance(m, str) and m.strip()}
    has_simulated = bool(seen & {"simulated", "mixed"})
    has_real = bool(seen & {"real", "live", "mixed"})
    if has_simulated and has_real:
        return MIXED
    if has_simulated:
        return SIMULATED
    return None
