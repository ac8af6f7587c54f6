with daily_bars as (
    select * from {{ ref('stg_raw__daily_bars') }}
),

-- the key allows one bar per source; downstream wants one per symbol and day, picked the same way every build
ranked as (
    select
        *,
        row_number() over (partition by trade_date, symbol order by close_price is null, source) as source_rank
    from daily_bars
),

final as (
    select
        trade_date,
        symbol,
        open_price,
        high_price,
        low_price,
        close_price,
        volume,
        close_price * volume as dollar_volume,
        source,
        data_mode,
        is_trading_day
    from ranked
    where source_rank = 1
)

select * from final
