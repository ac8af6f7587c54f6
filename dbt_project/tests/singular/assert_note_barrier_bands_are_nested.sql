-- fct_note_barriers_daily: the 5% band lies inside the 10% band, inside the 20% band, inside what is
-- outstanding; a breached barrier's principal is part of what is outstanding.
select trade_date
from {{ ref('fct_note_barriers_daily') }}
where principal_within_5pct_usd > principal_within_10pct_usd
   or principal_within_10pct_usd > principal_within_20pct_usd
   or principal_within_20pct_usd > principal_outstanding_usd
   or principal_breached_usd > principal_outstanding_usd
