{#-
  CME bitcoin open interest per trade date, as published for the end of that day's session (final the
  next morning): BTC contract months in contracts (5 BTC each), and BTC months x 5 plus Micro (MBT)
  months x 0.1 in BTC. The rolled front series carries none.
-#}
with cme_futures as (
    select * from {{ ref('stg_raw__futures_daily') }}
    where venue = 'CME'
),

cme_expiries as (
    select * from {{ ref('stg_raw__cme_expiries') }}
),

contract_months as (
    select
        cme_futures.*,
        cme_expiries.contract is not null as is_btc_month
    from cme_futures
    left join cme_expiries on cme_futures.contract = cme_expiries.contract
    where cme_expiries.contract is not null or cme_futures.contract like 'MBT%'
),

per_trade_date as (
    select
        trade_date,
        sum(case when is_btc_month then open_interest_contracts end) as cme_open_interest_contracts,
        count(case when is_btc_month then open_interest_contracts end) as cme_contract_months_with_open_interest,
        sum(open_interest_contracts * case when is_btc_month then 5.0 else 0.1 end) as cme_open_interest_btc,
        {{ aggregate_data_mode('data_mode') }} as data_mode,
        min(case when is_trading_day then 1 else 0 end) = 1 as is_trading_day
    from contract_months
    group by trade_date
)

select * from per_trade_date
