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

snapshots as (
    select trade_date, snapshot_utc
    from trading_days
    where trade_date between (select min(btc_usd_partition_date) from btc_usd_bars)
                         and (select max(btc_usd_partition_date) from btc_usd_bars)
),

as_of as (
    {{ asof_last_at_or_before('snapshots', 'snapshot_utc', 'btc_usd_observations', 'btc_usd_observed_at_utc') }}
),

aged as (
    select
        *,
        {{ dbt.datediff('btc_usd_observed_at_utc', 'snapshot_utc', 'minute') }} as btc_usd_4pm_age_minutes
    from as_of
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
        btc_usd_data_mode as data_mode
    from aged
)

select * from final
