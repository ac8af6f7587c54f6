with lines as (
    select * from {{ ref('int_gamma_option_lines') }}
    where is_priced
),

by_strike as (
    select
        snapshot_utc,
        venue,
        underlying,
        expiry_utc,
        strike_usd,
        max(strike_btc_usd) as strike_btc_usd,
        max(pricing_model) as pricing_model,
        max(years_to_expiry) as years_to_expiry,
        max(underlying_price_usd) as underlying_price_usd,
        max(underlying_price_btc_usd) as underlying_price_btc_usd,
        max(btc_per_share) as btc_per_share,
        max(contract_multiplier) as contract_multiplier,
        sum(case when put_call = 'C' then open_interest_contracts end) as call_open_interest_contracts,
        sum(case when put_call = 'P' then open_interest_contracts end) as put_open_interest_contracts,
        max(case when put_call = 'C' then mark_iv_decimal end) as call_mark_iv,
        max(case when put_call = 'P' then mark_iv_decimal end) as put_mark_iv,
        max(case when put_call = 'C' then gamma_per_usd end) as call_gamma_per_usd,
        max(case when put_call = 'P' then gamma_per_usd end) as put_gamma_per_usd,
        sum(case when put_call = 'C' then gex_usd_per_1pct_unsigned end) as call_gex_usd_per_1pct_unsigned,
        sum(case when put_call = 'P' then gex_usd_per_1pct_unsigned end) as put_gex_usd_per_1pct_unsigned,
        count(*) as option_lines,
        {{ aggregate_data_mode('data_mode') }} as data_mode
    from lines
    group by snapshot_utc, venue, underlying, expiry_utc, strike_usd
),

final as (
    select
        snapshot_utc,
        venue,
        underlying,
        expiry_utc,
        strike_usd,
        strike_btc_usd,
        pricing_model,
        years_to_expiry,
        underlying_price_usd,
        underlying_price_btc_usd,
        btc_per_share,
        contract_multiplier,
        call_open_interest_contracts,
        put_open_interest_contracts,
        call_mark_iv,
        put_mark_iv,
        call_gamma_per_usd,
        put_gamma_per_usd,
        call_gex_usd_per_1pct_unsigned,
        put_gex_usd_per_1pct_unsigned,
        -- S0, equity convention: dealers long calls, short puts
        coalesce(call_gex_usd_per_1pct_unsigned, 0) - coalesce(put_gex_usd_per_1pct_unsigned, 0) as gex_usd_per_1pct,
        -- S1: dealers short calls and puts
        -coalesce(call_gex_usd_per_1pct_unsigned, 0) - coalesce(put_gex_usd_per_1pct_unsigned, 0)
            as gex_usd_per_1pct_dealers_short_all,
        option_lines,
        data_mode
    from by_strike
)

select * from final
