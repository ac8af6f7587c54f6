{#-
  BTC-USD at each trading day's 4 pm New York snapshot and at NYSE's close (the same instant except on
  early-close days, 13:00 New York): the last hourly close observed at or before the instant.
-#}
{%- set max_age_minutes = var('asof_max_age_minutes') -%}

with trading_days as (
    select * from {{ ref('int_trading_days') }}
),

btc_usd_bars as (
    select
        bar_end_utc as btc_usd_observed_at_utc,
        close_price as btc_usd_close,
        source as btc_usd_source,
        data_mode as btc_usd_data_mode,
        partition_date as btc_usd_partition_date,
        -- one bar per hour: Coinbase (the exchange itself) over an aggregator's copy
        row_number() over (
            partition by bar_start_utc
            order by case when source = 'coinbase' then 0 else 1 end, source
        ) as source_rank
    from {{ ref('stg_raw__hourly_bars') }}
    -- an empty bar is no observation: it must not hide the last real close
    where symbol = 'BTC-USD' and close_price is not null
),

btc_usd_observations as (
    select btc_usd_observed_at_utc, btc_usd_close, btc_usd_source, btc_usd_data_mode
    from btc_usd_bars
    where source_rank = 1
),

btc_usd_at_close_observations as (
    select
        btc_usd_observed_at_utc as close_observed_at_utc,
        btc_usd_close as close_btc_usd,
        btc_usd_data_mode as close_data_mode
    from btc_usd_observations
),

covered_days as (
    select trade_date, snapshot_utc, nyse_close_utc, is_early_close
    from trading_days
    where trade_date between (select min(btc_usd_partition_date) from btc_usd_bars)
                         and (select max(btc_usd_partition_date) from btc_usd_bars)
),

snapshots as (
    select trade_date, snapshot_utc from covered_days
),

closes as (
    select trade_date as close_trade_date, nyse_close_utc from covered_days
),

as_of as (
    {{ asof_last_at_or_before('snapshots', 'snapshot_utc', 'btc_usd_observations', 'btc_usd_observed_at_utc') }}
),

as_of_close as (
    {{ asof_last_at_or_before('closes', 'nyse_close_utc', 'btc_usd_at_close_observations', 'close_observed_at_utc') }}
),

aged as (
    select
        as_of.*,
        covered_days.is_early_close,
        as_of_close.nyse_close_utc,
        as_of_close.close_btc_usd,
        as_of_close.close_data_mode,
        {{ dbt.datediff('as_of.btc_usd_observed_at_utc', 'as_of.snapshot_utc', 'minute') }} as btc_usd_4pm_age_minutes,
        {{ dbt.datediff('as_of_close.close_observed_at_utc', 'as_of_close.nyse_close_utc', 'minute') }}
            as btc_usd_nyse_close_age_minutes
    from as_of
    inner join covered_days on as_of.trade_date = covered_days.trade_date
    inner join as_of_close on as_of.trade_date = as_of_close.close_trade_date
),

final as (
    select
        trade_date,
        snapshot_utc,
        btc_usd_observed_at_utc,
        btc_usd_4pm_age_minutes,
        case when btc_usd_4pm_age_minutes <= {{ max_age_minutes }} then btc_usd_close end as btc_usd_4pm,
        coalesce(btc_usd_4pm_age_minutes > {{ max_age_minutes }}, true) as btc_usd_4pm_is_stale,
        btc_usd_source,
        nyse_close_utc,
        is_early_close,
        btc_usd_nyse_close_age_minutes,
        case when btc_usd_nyse_close_age_minutes <= {{ max_age_minutes }} then close_btc_usd end as btc_usd_nyse_close,
        btc_usd_data_mode as data_mode
    from aged
)

select * from final
