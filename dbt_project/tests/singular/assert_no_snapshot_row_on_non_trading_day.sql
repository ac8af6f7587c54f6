-- Attached to fct_daily_snapshot_4pm_et as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_daily_snapshot_4pm_et'}}}) }}
-- The daily mart is a trading-day table: a row on a day NYSE was closed is a leak from a raw table.
select snapshot.trade_date
from {{ ref('fct_daily_snapshot_4pm_et') }} as snapshot
left join {{ ref('stg_raw__nyse_calendar') }} as calendar
    on snapshot.trade_date = calendar.calendar_date
where not coalesce(calendar.is_trading_day, false)
