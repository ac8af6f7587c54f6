{#-
  Daily close-to-close simple returns per symbol on NYSE trading days: close on trade_date over the
  close on the previous NYSE trading day, minus 1. Null when either close is missing (no bar that day
  or the day before): a gap is never bridged.
-#}

with trading_days as (
    select * from {{ ref('int_trading_days') }}
),

bars as (
    select * from {{ ref('int_daily_bars_one_per_symbol') }}
    where is_trading_day
),

final as (
    select
        bars.trade_date,
        bars.symbol,
        bars.close_price,
        previous_bars.close_price as previous_close_price,
        bars.close_price / nullif(previous_bars.close_price, 0) - 1 as simple_return,
        bars.data_mode,
        previous_bars.data_mode as previous_data_mode
    from bars
    inner join trading_days on bars.trade_date = trading_days.trade_date
    left join bars as previous_bars
        on previous_bars.symbol = bars.symbol and previous_bars.trade_date = trading_days.previous_trade_date
)

select * from final
