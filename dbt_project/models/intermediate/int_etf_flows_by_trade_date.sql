with etf_flows as (
    select * from {{ ref('stg_raw__etf_flows') }}
),

-- one flow per fund and day when several sources report it: the latest report, then by source name
one_row_per_fund as (
    select
        *,
        row_number() over (
            partition by trade_date, ticker
            order by reported_date desc nulls last, source
        ) as report_rank
    from etf_flows
),

per_trade_date as (
    select
        trade_date,
        sum(flow_usd) as total_etf_flow_usd,
        sum(case when ticker = 'IBIT' then flow_usd end) as ibit_flow_usd,
        count(flow_usd) as funds_reporting,
        {{ aggregate_data_mode('data_mode') }} as data_mode,
        min(case when is_trading_day then 1 else 0 end) = 1 as is_trading_day
    from one_row_per_fund
    where report_rank = 1
    group by trade_date
)

select * from per_trade_date
