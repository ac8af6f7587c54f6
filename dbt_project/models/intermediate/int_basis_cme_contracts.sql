{#- Per-contract CME BTC futures on NYSE trading days, with BTC at 4 pm New York and the basis. -#}
with trading_days as (
    select * from {{ ref('int_trading_days') }}
),

cme_futures as (
    select * from {{ ref('stg_raw__futures_daily') }}
    where venue = 'CME'
),

cme_expiries as (
    select * from {{ ref('stg_raw__cme_expiries') }}
),

btc_usd as (
    select trade_date, btc_usd_4pm, data_mode as btc_usd_data_mode
    from {{ ref('int_btc_usd_at_4pm') }}
),

-- BTC contract months only (cme_expiries lists BTC codes): not MBT, not the rolled series
btc_contract_months as (
    select
        cme_futures.trade_date,
        cme_futures.contract,
        coalesce(cme_futures.expiry_date, cme_expiries.expiry_date) as expiry_date,
        cme_futures.settle_usd_per_btc,
        cme_futures.volume_contracts,
        cme_futures.open_interest_contracts,
        cme_futures.data_mode as contract_data_mode
    from cme_futures
    inner join cme_expiries on cme_futures.contract = cme_expiries.contract
    inner join trading_days on cme_futures.trade_date = trading_days.trade_date
),

with_spot as (
    select
        btc_contract_months.*,
        {{ dbt.datediff('btc_contract_months.trade_date', 'btc_contract_months.expiry_date', 'day') }} as days_to_expiry,
        btc_usd.btc_usd_4pm,
        btc_usd.btc_usd_data_mode
    from btc_contract_months
    left join btc_usd on btc_contract_months.trade_date = btc_usd.trade_date
),

final as (
    select
        trade_date,
        contract,
        expiry_date,
        days_to_expiry,
        settle_usd_per_btc,
        btc_usd_4pm,
        -- the contract stops trading before 4 pm New York on its expiry day: no basis on or after it
        case when days_to_expiry >= 1 then {{ basis_total('settle_usd_per_btc', 'btc_usd_4pm') }} end as basis_total,
        {{ basis_annualize(basis_total('settle_usd_per_btc', 'btc_usd_4pm'), 'days_to_expiry') }} as basis_annualized,
        days_to_expiry between 1 and 6 as is_short_dated,
        volume_contracts,
        open_interest_contracts,
        contract_data_mode,
        {{ combine_data_modes(['contract_data_mode', 'btc_usd_data_mode']) }} as data_mode
    from with_spot
)

select * from final
