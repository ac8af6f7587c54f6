with source as (
    select * from {{ source('raw', 'hourly_bars') }}
),

renamed as (
    select
        cast(bar_start_utc as timestamp) as bar_start_utc,
        -- a bar's close is observed when the bar ends
        {{ dbt.dateadd('hour', 1, 'cast(bar_start_utc as timestamp)') }} as bar_end_utc,
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
