with source as (
    select * from {{ source('raw', 'vol_index_daily') }}
),

renamed as (
    select
        cast(trade_date as date) as trade_date,
        index_name,
        cast(close as double) as close_vol_points,
        source,
        {{ lineage_columns() }}
    from source
)

select * from renamed
