with contracts as (
    select * from {{ ref('int_basis_cme_contracts') }}
),

final as (
    select
        trade_date,
        contract,
        expiry_date,
        final_settlement_utc,
        snapshot_utc,
        days_to_expiry,
        settle_usd_per_btc,
        btc_usd_4pm,
        basis_total,
        basis_annualized,
        is_expired,
        is_short_dated,
        is_rolled_series,
        volume_contracts,
        open_interest_contracts,
        data_mode
    from contracts
)

select * from final
