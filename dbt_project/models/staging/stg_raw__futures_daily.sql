with source as (
    select * from {{ source('raw', 'futures_daily') }}
),

renamed as (
    select
        cast(trade_date as date) as trade_date,
        venue,
        contract,
        cast(expiry_date as date) as expiry_date,
        cast(settle as double) as settle_usd_per_btc,
        cast(volume as double) as volume_contracts,
        cast(open_interest as double) as open_interest_contracts,
        open_interest_source,
        source,
        {{ lineage_columns() }}
    from source
)

select * from renamed
