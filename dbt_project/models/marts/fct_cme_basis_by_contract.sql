with contracts as (
    select * from {{ ref('int_basis_cme_contracts') }}
),

final as (
    select
        trade_date,
        contract,
        expiry_date,
        days_to_expiry,
        settle_usd_per_btc,
        btc_usd_4pm,
        basis_total,
        basis_annualized,
        is_short_dated,
        volume_contracts,
        open_interest_contracts,
        data_mode
    from contracts
)

select * from final
