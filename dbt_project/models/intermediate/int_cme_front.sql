with cme_futures as (
    select * from {{ ref('stg_raw__futures_daily') }}
    where venue = 'CME'
),

cme_expiries as (
    select * from {{ ref('stg_raw__cme_expiries') }}
),

listed_btc_contracts as (
    select
        cme_futures.trade_date,
        cme_futures.contract,
        coalesce(cme_futures.expiry_date, cme_expiries.expiry_date) as expiry_date,
        cme_futures.settle_usd_per_btc,
        cme_futures.data_mode,
        cme_futures.is_trading_day
    from cme_futures
    inner join cme_expiries on cme_futures.contract = cme_expiries.contract
),

-- on its expiry day a contract stops trading before 4 pm New York: the front expires after trade_date
listed_front as (
    select
        *,
        row_number() over (partition by trade_date order by expiry_date) as expiry_rank
    from listed_btc_contracts
    where expiry_date > trade_date
),

rolled_series as (
    select
        cme_futures.trade_date,
        cme_futures.settle_usd_per_btc,
        cme_futures.data_mode,
        cme_futures.is_trading_day,
        (
            select min(cme_expiries.expiry_date)
            from cme_expiries
            where cme_expiries.expiry_date > cme_futures.trade_date
        ) as rule_expiry_date
    from cme_futures
    where cme_futures.contract = 'BTC-front-continuous'
),

rolled_front as (
    select
        rolled_series.trade_date,
        cme_expiries.contract,
        rolled_series.rule_expiry_date as expiry_date,
        rolled_series.settle_usd_per_btc,
        rolled_series.data_mode,
        rolled_series.is_trading_day
    from rolled_series
    inner join cme_expiries on cme_expiries.expiry_date = rolled_series.rule_expiry_date
),

front as (
    select
        trade_date, contract, expiry_date, settle_usd_per_btc, data_mode, is_trading_day,
        false as is_rolled_series
    from listed_front
    where expiry_rank = 1

    union all

    -- a per-contract settlement, when there is one, beats the rolled series' last trade
    select
        trade_date, contract, expiry_date, settle_usd_per_btc, data_mode, is_trading_day,
        true as is_rolled_series
    from rolled_front
    where trade_date not in (select trade_date from listed_front)
),

final as (
    select
        trade_date,
        contract as cme_front_contract,
        expiry_date as cme_front_expiry_date,
        {{ dbt.datediff('trade_date', 'expiry_date', 'day') }} as cme_front_days_to_expiry,
        settle_usd_per_btc as cme_front_settle,
        is_rolled_series as cme_front_is_rolled_series,
        is_trading_day,
        data_mode
    from front
)

select * from final
