-- Attached to fct_open_interest_4pm_et as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_open_interest_4pm_et'}}}) }}
-- On every day with any USD open interest, the venues' shares of the total add up to 1;
-- and no row sits on a day NYSE was closed.
select trade_date
from {{ ref('fct_open_interest_4pm_et') }}
group by trade_date
having count(open_interest_usd) > 0 and abs(sum(share_of_total_usd) - 1) > 1e-9

union all

select oi.trade_date
from {{ ref('fct_open_interest_4pm_et') }} as oi
left join {{ ref('stg_raw__nyse_calendar') }} as calendar
    on oi.trade_date = calendar.calendar_date
where not coalesce(calendar.is_trading_day, false)
