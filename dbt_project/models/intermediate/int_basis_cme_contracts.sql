{#-
  CME bitcoin (BTC, 5 BTC) futures prices per contract month and NYSE trading day, beside BTC-USD at
  4 pm New York, with the time to final settlement and the basis. Two kinds of price:
  * a per-contract settlement (BTC contract months of cme_expiries: not MBT);
  * the rolled front-month series (BTC-front-continuous, e.g. Yahoo BTC=F), attributed to the
    contract it carries that day: the first whose last trading day is on or after the trade date
    (on an expiry day the series still shows the expiring contract's final price). A per-contract
    settlement of that contract on that day wins.
-#}
{%- set min_days = var('basis_min_days_to_expiry') -%}

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

listed_contracts as (
    select
        cme_futures.trade_date,
        cme_futures.contract,
        cme_futures.settle_usd_per_btc,
        cme_futures.volume_contracts,
        cme_futures.open_interest_contracts,
        false as is_rolled_series,
        cme_futures.data_mode as contract_data_mode
    from cme_futures
    inner join cme_expiries on cme_futures.contract = cme_expiries.contract
),

rolled_series_days as (
    select distinct trade_date from cme_futures where contract = 'BTC-front-continuous'
),

-- the contract the rolled series carries: the first whose last trading day is on or after the trade date
carried_contracts as (
    select trade_date, contract
    from (
        select
            rolled_series_days.trade_date,
            cme_expiries.contract,
            row_number() over (partition by rolled_series_days.trade_date order by cme_expiries.expiry_date) as nearness
        from rolled_series_days
        inner join cme_expiries on cme_expiries.expiry_date >= rolled_series_days.trade_date
    ) as ranked
    where nearness = 1
),

rolled_series as (
    select
        cme_futures.trade_date,
        carried_contracts.contract,
        cme_futures.settle_usd_per_btc,
        cast(null as double) as volume_contracts,
        cast(null as double) as open_interest_contracts,
        true as is_rolled_series,
        cme_futures.data_mode as contract_data_mode
    from cme_futures
    left join carried_contracts on cme_futures.trade_date = carried_contracts.trade_date
    where cme_futures.contract = 'BTC-front-continuous'
),

prices as (
    select * from listed_contracts
    union all
    select rolled_series.*
    from rolled_series
    where not exists (
        select 1 from listed_contracts
        where listed_contracts.trade_date = rolled_series.trade_date
          and listed_contracts.contract = rolled_series.contract
    )
),

with_spot as (
    select
        prices.*,
        cme_expiries.expiry_date,
        cme_expiries.final_settlement_utc,
        trading_days.snapshot_utc,
        {{ basis_days_to_settlement('trading_days.snapshot_utc', 'cme_expiries.final_settlement_utc') }}
            as days_to_expiry,
        btc_usd.btc_usd_4pm,
        btc_usd.btc_usd_data_mode
    from prices
    inner join cme_expiries on prices.contract = cme_expiries.contract
    inner join trading_days on prices.trade_date = trading_days.trade_date
    left join btc_usd on prices.trade_date = btc_usd.trade_date
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
        -- settled before the 4 pm New York snapshot (its expiry day, 16:00 London): no basis
        case when days_to_expiry > 0 then {{ basis_total('settle_usd_per_btc', 'btc_usd_4pm') }} end as basis_total,
        {{ basis_annualize(basis_total('settle_usd_per_btc', 'btc_usd_4pm'), 'days_to_expiry') }} as basis_annualized,
        days_to_expiry <= 0 as is_expired,
        days_to_expiry > 0 and days_to_expiry < {{ min_days }} as is_short_dated,
        is_rolled_series,
        volume_contracts,
        open_interest_contracts,
        contract_data_mode,
        {{ combine_data_modes(['contract_data_mode', 'btc_usd_data_mode']) }} as data_mode
    from with_spot
)

select * from final
