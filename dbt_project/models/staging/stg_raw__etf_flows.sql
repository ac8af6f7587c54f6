with source as (
    select * from {{ source('raw', 'etf_flows') }}
),

renamed as (
    select
        cast(trade_date as date) as trade_date,
        upper(ticker) as ticker,
        cast(flow_usd as double) as flow_usd,
        source,
        cast(reported_date as date) as reported_date,
        {{ lineage_columns() }}
    from source
)

select * from renamed
