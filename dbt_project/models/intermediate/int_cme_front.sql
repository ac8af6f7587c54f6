{#-
  The CME bitcoin front contract per NYSE trading day with any CME BTC price: the contract month with
  the nearest final settlement at least var basis_min_days_to_expiry (7) days after the 4 pm New York
  snapshot (the CME rule, from cme_expiries, whether or not it has a price that day), with its price
  and basis from int_basis_cme_contracts when there is one.
-#}
{%- set min_days = var('basis_min_days_to_expiry') -%}

with trading_days as (
    select * from {{ ref('int_trading_days') }}
),

cme_expiries as (
    select * from {{ ref('stg_raw__cme_expiries') }}
),

contracts as (
    select * from {{ ref('int_basis_cme_contracts') }}
),

cme_days as (
    select
        trade_date,
        {{ aggregate_data_mode('contract_data_mode') }} as cme_data_mode,
        -- every price that day is of a contract inside its last days (or settled): the rolled
        -- series in its final week; the front then has no price
        min(case when days_to_expiry >= {{ min_days }} then 0 else 1 end) = 1 as only_short_dated_prices
    from contracts
    group by trade_date
),

front_by_rule as (
    select
        cme_days.trade_date,
        cme_days.cme_data_mode,
        cme_days.only_short_dated_prices,
        trading_days.snapshot_utc,
        cme_expiries.contract,
        cme_expiries.expiry_date,
        cme_expiries.final_settlement_utc,
        {{ basis_days_to_settlement('trading_days.snapshot_utc', 'cme_expiries.final_settlement_utc') }}
            as days_to_expiry,
        row_number() over (partition by cme_days.trade_date order by cme_expiries.expiry_date) as expiry_rank
    from cme_days
    inner join trading_days on cme_days.trade_date = trading_days.trade_date
    inner join cme_expiries
        on {{ basis_days_to_settlement('trading_days.snapshot_utc', 'cme_expiries.final_settlement_utc') }} >= {{ min_days }}
       and cme_expiries.expiry_date <= {{ dbt.dateadd('day', 70, 'cme_days.trade_date') }}
),

final as (
    select
        front_by_rule.trade_date,
        front_by_rule.contract as cme_front_contract,
        front_by_rule.expiry_date as cme_front_expiry_date,
        front_by_rule.final_settlement_utc as cme_front_final_settlement_utc,
        front_by_rule.days_to_expiry as cme_front_days_to_expiry,
        contracts.settle_usd_per_btc as cme_front_settle,
        contracts.basis_total as cme_front_basis_total,
        contracts.basis_annualized as cme_front_basis_annualized,
        coalesce(contracts.is_rolled_series, false) as cme_front_is_rolled_series,
        contracts.settle_usd_per_btc is null and front_by_rule.only_short_dated_prices
            as cme_front_is_null_short_dated,
        coalesce(contracts.data_mode, front_by_rule.cme_data_mode) as data_mode
    from front_by_rule
    left join contracts
        on front_by_rule.trade_date = contracts.trade_date and front_by_rule.contract = contracts.contract
    where front_by_rule.expiry_rank = 1
)

select * from final
