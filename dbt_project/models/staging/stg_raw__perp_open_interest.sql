with source as (
    select * from {{ source('raw', 'perp_open_interest') }}
),

renamed as (
    select
        cast(ts_utc as timestamp) as observed_at_utc,
        venue,
        upper(symbol) as symbol,
        cast(open_interest_base as double) as open_interest_btc,
        cast(open_interest_usd as double) as open_interest_usd,
        source,
        {{ lineage_columns() }}
    from source
)

select * from renamed
