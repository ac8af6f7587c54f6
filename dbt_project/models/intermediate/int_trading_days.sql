with calendar as (
    select * from {{ ref('stg_raw__nyse_calendar') }}
),

trading_days as (
    select
        calendar_date as trade_date,
        snapshot_utc,
        close_utc as nyse_close_utc,
        is_early_close,
        lag(calendar_date) over (order by calendar_date) as previous_trade_date
    from calendar
    where is_trading_day
)

select * from trading_days
