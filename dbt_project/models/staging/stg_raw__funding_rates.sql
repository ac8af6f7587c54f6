with source as (
    select * from {{ source('raw', 'funding_rates') }}
),

renamed as (
    select
        cast(ts_utc as timestamp) as funding_at_utc,
        venue,
        upper(symbol) as symbol,
        cast(funding_rate as double) as funding_rate_per_interval,
        source,
        {{ lineage_columns() }}
    from source
)

select * from renamed
