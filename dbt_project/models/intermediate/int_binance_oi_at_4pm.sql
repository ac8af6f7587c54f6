{%- set max_age_minutes = var('asof_max_age_minutes') -%}

with trading_days as (
    select * from {{ ref('int_trading_days') }}
),

binance_oi as (
    select
        observed_at_utc as binance_oi_observed_at_utc,
        open_interest_usd as binance_oi_usd,
        open_interest_btc as binance_oi_btc,
        data_mode as binance_oi_data_mode,
        partition_date as binance_oi_partition_date
    from {{ ref('stg_raw__perp_open_interest') }}
    where venue = 'Binance' and symbol = '{{ var("binance_oi_symbol") }}'
      and (open_interest_usd is not null or open_interest_btc is not null)
),

binance_oi_observations as (
    select binance_oi_observed_at_utc, binance_oi_usd, binance_oi_btc, binance_oi_data_mode
    from binance_oi
),

snapshots as (
    select trade_date, snapshot_utc
    from trading_days
    where trade_date between (select min(binance_oi_partition_date) from binance_oi)
                         and (select max(binance_oi_partition_date) from binance_oi)
),

as_of as (
    {{ asof_last_at_or_before('snapshots', 'snapshot_utc', 'binance_oi_observations', 'binance_oi_observed_at_utc') }}
),

aged as (
    select
        *,
        {{ dbt.datediff('binance_oi_observed_at_utc', 'snapshot_utc', 'minute') }} as binance_open_interest_age_minutes
    from as_of
),

final as (
    select
        trade_date,
        snapshot_utc,
        binance_oi_observed_at_utc,
        binance_open_interest_age_minutes,
        case when binance_open_interest_age_minutes <= {{ max_age_minutes }} then binance_oi_usd end
            as binance_open_interest_usd,
        case when binance_open_interest_age_minutes <= {{ max_age_minutes }} then binance_oi_btc end
            as binance_open_interest_btc,
        coalesce(binance_open_interest_age_minutes > {{ max_age_minutes }}, true) as binance_open_interest_is_stale,
        binance_oi_data_mode as data_mode
    from aged
)

select * from final
