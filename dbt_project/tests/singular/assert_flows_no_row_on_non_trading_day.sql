-- Attached to fct_etf_flows as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_etf_flows'}}}) }}
-- Flows are a trading-day table: a holiday-dated tracker report must not leak in (nor be moved).
select flows.trade_date, flows.ticker
from {{ ref('fct_etf_flows') }} as flows
left join {{ ref('stg_raw__nyse_calendar') }} as calendar
    on flows.trade_date = calendar.calendar_date
where not coalesce(calendar.is_trading_day, false)
