{#-
  One row per option line of every chain snapshot on bitcoin (BTC options: Black-76 on the expiry's
  forward; IBIT options: Black-Scholes on the share price, r = q = 0), with its gamma and its unsigned
  gamma exposure in USD per 1% move: Gamma x OI x multiplier x price^2 x 0.01 (SOURCES.md Methodology).
  Lines that cannot be priced stay, with is_priced = false and the reason.
-#}

with chain as (
    select * from {{ ref('stg_raw__option_chain_snapshot') }}
    where underlying in ('BTC', 'IBIT')
),

-- BTC per IBIT share: the latest fund row dated on or before the snapshot's date (UTC date = New York
-- date for a 4 pm snapshot); it changes only by the sponsor fee, so a day's lag does not matter
ibit_fund as (
    select
        trade_date,
        btc_held / shares_outstanding as btc_per_share
    from {{ ref('stg_raw__etf_fund_daily') }}
    where ticker = 'IBIT' and btc_held > 0 and shares_outstanding > 0
),

ibit_snapshots as (
    select distinct snapshot_utc
    from chain
    where underlying = 'IBIT'
),

ibit_btc_per_share as (
    select snapshot_utc, btc_per_share
    from (
        select
            ibit_snapshots.snapshot_utc,
            ibit_fund.btc_per_share,
            row_number() over (partition by ibit_snapshots.snapshot_utc order by ibit_fund.trade_date desc) as recency
        from ibit_snapshots
        inner join ibit_fund on ibit_fund.trade_date <= cast(ibit_snapshots.snapshot_utc as date)
    ) as ranked
    where recency = 1
),

lines as (
    select
        chain.snapshot_utc,
        chain.venue,
        chain.instrument,
        chain.underlying,
        chain.expiry_utc,
        chain.put_call,
        chain.strike_usd,
        chain.open_interest_contracts,
        chain.contract_multiplier,
        chain.mark_iv_decimal,
        chain.underlying_price_usd,
        cast({{ dbt.datediff('chain.snapshot_utc', 'chain.expiry_utc', 'second') }} as double) / (365 * 86400) as years_to_expiry,
        case when chain.underlying = 'IBIT' then 'black_scholes' else 'black76' end as pricing_model,
        ibit_btc_per_share.btc_per_share,
        chain.data_mode
    from chain
    left join ibit_btc_per_share
        on chain.underlying = 'IBIT' and chain.snapshot_utc = ibit_btc_per_share.snapshot_utc
),

checked as (
    select
        *,
        case
            when put_call not in ('C', 'P') then 'unknown_put_call'
            when years_to_expiry <= 0 then 'expired'
            when mark_iv_decimal is null or mark_iv_decimal <= 0 then 'no_implied_vol'
            when open_interest_contracts is null then 'no_open_interest'
            when contract_multiplier is null or contract_multiplier <= 0 then 'no_multiplier'
            when underlying_price_usd is null or underlying_price_usd <= 0 then 'no_underlying_price'
            when strike_usd is null or strike_usd <= 0 then 'no_strike'
            when underlying = 'IBIT' and btc_per_share is null then 'no_btc_per_share'
        end as skip_reason
    from lines
),

priced as (
    select
        *,
        skip_reason is null as is_priced,
        -- strikes and prices in USD per BTC, so IBIT lines sit on the same axis as BTC options
        case when underlying = 'IBIT' then strike_usd / btc_per_share else strike_usd end as strike_btc_usd,
        case when underlying = 'IBIT' then underlying_price_usd / btc_per_share else underlying_price_usd end
            as underlying_price_btc_usd,
        case
            when skip_reason is not null then null
            when pricing_model = 'black76' then
                {{ black76_gamma('underlying_price_usd', 'strike_usd', 'mark_iv_decimal', 'years_to_expiry') }}
            else
                {{ gamma_black_scholes('underlying_price_usd', 'strike_usd', 'mark_iv_decimal', 'years_to_expiry') }}
        end as gamma_per_usd
    from checked
),

final as (
    select
        snapshot_utc,
        venue,
        instrument,
        underlying,
        expiry_utc,
        put_call,
        strike_usd,
        strike_btc_usd,
        open_interest_contracts,
        contract_multiplier,
        mark_iv_decimal,
        underlying_price_usd,
        underlying_price_btc_usd,
        btc_per_share,
        years_to_expiry,
        pricing_model,
        is_priced,
        skip_reason,
        gamma_per_usd,
        gamma_per_usd * open_interest_contracts * contract_multiplier
            * underlying_price_usd * underlying_price_usd * 0.01 as gex_usd_per_1pct_unsigned,
        data_mode
    from priced
)

select * from final
