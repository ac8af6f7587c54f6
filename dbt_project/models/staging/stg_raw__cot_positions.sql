with source as (
    select * from {{ source('raw', 'cot_positions') }}
),

renamed as (
    select
        cast(report_date as date) as report_date,
        market_code,
        category,
        cast(long_contracts as double) as long_contracts,
        cast(short_contracts as double) as short_contracts,
        cast(open_interest as double) as open_interest_contracts,
        source,
        {{ lineage_columns() }}
    from source
)

select * from renamed
