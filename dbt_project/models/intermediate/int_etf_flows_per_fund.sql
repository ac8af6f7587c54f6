{#-
  One tracker flow per US spot bitcoin ETF and trade date (the one de-duplication of etf_flows: the
  daily snapshot's total and fct_etf_flows both read it). When several sources report a fund's day:
  the latest reported_date, then by source name.
-#}
with etf_flows as (
    select * from {{ ref('stg_raw__etf_flows') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by trade_date, ticker
            order by reported_date desc nulls last, source
        ) as report_rank
    from etf_flows
),

one_report_per_fund as (
    select * from ranked where report_rank = 1
),

-- a fund counts from its first non-zero flow: trackers show 0.0 for funds not launched yet
launched as (
    select
        *,
        max(case when flow_usd <> 0 then 1 else 0 end) over (
            partition by ticker order by trade_date rows between unbounded preceding and current row
        ) = 1 as is_launched
    from one_report_per_fund
),

final as (
    select
        trade_date,
        ticker,
        flow_usd,
        reported_date,
        source as flow_source,
        is_launched,
        flow_usd is not null and is_launched as is_reporting,
        data_mode,
        is_trading_day
    from launched
)

select * from final
