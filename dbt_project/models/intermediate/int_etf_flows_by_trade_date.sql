with funds as (
    select * from {{ ref('int_etf_flows_per_fund') }}
),

per_trade_date as (
    select
        trade_date,
        sum(flow_usd) as total_etf_flow_usd,
        sum(case when ticker = 'IBIT' then flow_usd end) as ibit_flow_usd,
        count(case when is_reporting then 1 end) as funds_reporting,
        max(reported_date) as reported_date,
        {{ aggregate_data_mode('data_mode') }} as data_mode,
        min(case when is_trading_day then 1 else 0 end) = 1 as is_trading_day
    from funds
    group by trade_date
)

select * from per_trade_date
