with source as (
    select * from {{ source('raw', 'etf_fund_daily') }}
),

renamed as (
    select
        cast(trade_date as date) as trade_date,
        upper(ticker) as ticker,
        cast(shares_outstanding as double) as shares_outstanding,
        cast(nav_usd as double) as nav_usd_per_share,
        cast(btc_held as double) as btc_held,
        source,
        {{ lineage_columns() }}
    from source
)

select * from renamed
