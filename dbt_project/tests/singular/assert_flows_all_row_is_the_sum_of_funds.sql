-- Attached to fct_etf_flows as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_etf_flows'}}}) }}
-- The ALL row's flow is the sum of the funds' flows that day (null when no fund has one), its
-- funds_reporting the count of reporting funds, and both are the daily snapshot's figures.
with funds as (
    select trade_date, sum(flow_usd) as flow_usd, sum(funds_reporting) as funds_reporting
    from {{ ref('fct_etf_flows') }}
    where ticker <> 'ALL'
    group by trade_date
),

totals as (
    select trade_date, flow_usd, funds_reporting
    from {{ ref('fct_etf_flows') }}
    where ticker = 'ALL'
),

snapshot as (
    select trade_date, total_etf_flow_usd, etf_funds_reporting
    from {{ ref('fct_daily_snapshot_4pm_et') }}
)

select coalesce(funds.trade_date, totals.trade_date) as trade_date
from funds
full outer join totals on funds.trade_date = totals.trade_date
left join snapshot on snapshot.trade_date = totals.trade_date
where funds.trade_date is null
   or totals.trade_date is null
   or totals.funds_reporting <> funds.funds_reporting
   or (totals.flow_usd is null) <> (funds.flow_usd is null)
   or abs(totals.flow_usd - funds.flow_usd) > 0.01
   or (snapshot.trade_date is not null
       and (totals.flow_usd is distinct from snapshot.total_etf_flow_usd
            or totals.funds_reporting <> coalesce(snapshot.etf_funds_reporting, 0)))
