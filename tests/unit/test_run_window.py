"""A run's window: one partition, a partition range, or a bulk window over 31 days; the tags of each
read back to the same dates."""
from datetime import date

import pytest

from pipelines.run_window import BULK_RUN_MIN_DAYS, is_bulk, window_from_tags, window_tags


@pytest.mark.parametrize(("start", "end", "tags"), [
    (date(2026, 4, 7), date(2026, 4, 7), {"dagster/partition": "2026-04-07"}),
    (date(2026, 3, 1), date(2026, 3, 31), {"dagster/asset_partition_range_start": "2026-03-01",
                                           "dagster/asset_partition_range_end": "2026-03-31"}),
    (date(2026, 3, 1), date(2026, 4, 1), {"btcflows/window_start": "2026-03-01", "btcflows/window_end": "2026-04-01"}),
])
def test_a_window_becomes_the_tags_of_one_run_and_back(start, end, tags):
    assert window_tags(start, end) == tags
    assert window_from_tags(tags) == (start, end)
    assert is_bulk(tags) == ((end - start).days + 1 > BULK_RUN_MIN_DAYS)


def test_a_window_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before its start"):
        window_tags(date(2026, 4, 8), date(2026, 4, 7))


def test_no_window_tags_no_window():
    assert window_from_tags({"dagster/backfill": "x"}) is None
