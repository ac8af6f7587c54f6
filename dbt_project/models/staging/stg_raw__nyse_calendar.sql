with source as (
    select * from {{ source('raw', 'nyse_calendar') }}
),

renamed as (
    select
        cast(calendar_date as date) as calendar_date,
        cast(is_trading_day as boolean) as is_trading_day,
        cast(snapshot_utc as timestamp) as snapshot_utc,
        cast(close_utc as timestamp) as close_utc,
        cast(is_early_close as boolean) as is_early_close
    from source
)

select * from renamed
