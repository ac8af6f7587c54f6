import math

import pytest

from pipelines.report.banner import MIXED, MIXED_TEXT, SIMULATED, SIMULATED_TEXT, banner_for


@pytest.mark.parametrize(
    ("modes", "expected"),
    [
        (["simulated", "simulated"], SIMULATED),
        (["simulated", None, math.nan], SIMULATED),  # days no raw row reached do not lift the banner
        (["real", "real"], None),
        (["live"], None),
        (["real", "mixed"], MIXED),
        (["mixed"], MIXED),
        (["simulated", "real"], MIXED),  # simulated rows beside real ones in one chart
        (["simulated", "live"], MIXED),
        ([], None),
        ([None, math.nan], None),
    ],
)
def test_banner_follows_the_rows_data_mode(modes, expected):
    assert banner_for(modes) == expected


def test_banner_texts_are_the_agreed_ones():
    assert SIMULATED.text == SIMULATED_TEXT == "SIMULATED DATA — not market data"
    assert MIXED.text.startswith("MIXED simulated and real")
    assert MIXED_TEXT == MIXED.text
