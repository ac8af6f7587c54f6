with source as (
    select * from {{ source('raw', 'cme_expiries') }}
),

renamed as (
    select
        contract,
        cast(contract_month as date) as contract_month,
        cast(expiry_date as date) as expiry_date,
        cast(final_settlement_utc as timestamp) as final_settlement_utc
    from source
)

select * from renamed
