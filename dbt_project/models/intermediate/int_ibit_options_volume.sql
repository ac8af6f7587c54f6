with options_volume as (
    select * from {{ ref('stg_raw__options_volume') }}
    where underlying = 'IBIT'
),

per_trade_date as (
    select
        trade_date,
        sum(case when put_call = 'P' then volume_contracts end) as ibit_put_contracts,
        sum(case when put_call = 'C' then volume_contracts end) as ibit_call_contracts,
        {{ aggregate_data_mode('data_mode') }} as data_mode,
        min(case when is_trading_day then 1 else 0 end) = 1 as is_trading_day
    from options_volume
    group by trade_date
)

select * from per_trade_date
