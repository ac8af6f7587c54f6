with source as (
    select * from {{ source('raw', 'option_chain_snapshot') }}
),

renamed as (
    select
        cast(snapshot_utc as timestamp) as snapshot_utc,
        venue,
        instrument,
        upper(underlying) as underlying,
        cast(expiry_utc as timestamp) as expiry_utc,
        cast(strike as double) as strike_usd,
        upper(put_call) as put_call,
        cast(open_interest as double) as open_interest_contracts,
        cast(multiplier as double) as contract_multiplier,
        cast(mark_iv as double) as mark_iv_decimal,
        cast(underlying_price as double) as underlying_price_usd,
        source,
        {{ lineage_columns() }}
    from source
)

select * from renamed
