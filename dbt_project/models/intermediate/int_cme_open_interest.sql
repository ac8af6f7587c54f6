with cme_futures as (
    select * from {{ ref('stg_raw__futures_daily') }}
    where venue = 'CME'
),

cme_expiries as (
    select * from {{ ref('stg_raw__cme_expiries') }}
),

-- BTC contract months only: the rolled series and MBT (micro) are not in cme_expiries
btc_contract_months as (
    select cme_futures.*
    from cme_futures
    inner join cme_expiries on cme_futures.contract = cme_expiries.contract
),

per_trade_date as (
    select
        trade_date,
        sum(open_interest_contracts) as cme_open_interest_contracts,
        count(open_interest_contracts) as cme_contract_months_with_open_interest,
        {{ aggregate_data_mode('data_mode') }} as data_mode,
        min(case when is_trading_day then 1 else 0 end) = 1 as is_trading_day
    from btc_contract_months
    group by trade_date
)

select * from per_trade_date
