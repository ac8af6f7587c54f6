-- The ALL row's flow is the sum of the funds' flows that day (null when no fund has one).
with funds as (
    select trade_date, sum(flow_usd) as flow_usd, count(flow_usd) as funds_reporting
    from {{ ref('fct_etf_flows') }}
    where ticker <> 'ALL'
    group by trade_date
),

totals as (
    select trade_date, flow_usd, funds_reporting
    from {{ ref('fct_etf_flows') }}
    where ticker = 'ALL'
)

select coalesce(funds.trade_date, totals.trade_date) as trade_date
from funds
full outer join totals on funds.trade_date = totals.trade_date
where funds.trade_date is null
   or totals.trade_date is null
   or totals.funds_reporting <> funds.funds_reporting
   or (totals.flow_usd is null) <> (funds.flow_usd is null)
   or abs(totals.flow_usd - funds.flow_usd) > 0.01
