with source as (
    select * from {{ source('raw', 'options_volume') }}
),

renamed as (
    select
        cast(trade_date as date) as trade_date,
        upper(underlying) as underlying,
        upper(put_call) as put_call,
        cast(contracts as double) as volume_contracts,
        source,
        {{ lineage_columns() }}
    from source
)

select * from renamed
