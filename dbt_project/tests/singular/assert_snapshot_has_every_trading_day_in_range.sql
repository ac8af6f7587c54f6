-- Attached to fct_daily_snapshot_4pm_et as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_daily_snapshot_4pm_et'}}}) }}
-- Returns are computed between consecutive rows, so a missing trading day would silently span two days.
with bounds as (
    select min(trade_date) as first_day, max(trade_date) as last_day
    from {{ ref('fct_daily_snapshot_4pm_et') }}
)

select trading_days.trade_date
from {{ ref('int_trading_days') }} as trading_days
cross join bounds
left join {{ ref('fct_daily_snapshot_4pm_et') }} as snapshot
    on trading_days.trade_date = snapshot.trade_date
where trading_days.trade_date between bounds.first_day and bounds.last_day
  and snapshot.trade_date is null
