with source as (
    select * from {{ source('raw', 'daily_bars') }}
),

renamed as (
    select
        cast(trade_date as date) as trade_date,
        upper(symbol) as symbol,
        cast(open as double) as open_price,
        cast(high as double) as high_price,
        cast(low as double) as low_price,
        cast(close as double) as close_price,
        cast(volume as double) as volume,
        source,
        {{ lineage_columns() }}
    from source
)

select * from renamed
