{#-
  Binance BTCUSDT perpetual funding at each trading day's 4 pm New York snapshot: the rate of the last
  funding settlement at or before the snapshot (settlements at 00:00, 08:00 and 16:00 UTC; the rate
  paid then, from long to short when positive) and the sum of the rates settled in the 24 hours up to
  the snapshot (three settlements: the cost of holding a long for a day, decimal).
-#}
{%- set max_age_minutes = var('funding_max_age_minutes') -%}

with trading_days as (
    select * from {{ ref('int_trading_days') }}
),

funding as (
    select
        funding_at_utc,
        funding_rate_per_interval,
        data_mode,
        partition_date
    from {{ ref('stg_raw__funding_rates') }}
    where venue = 'Binance' and symbol = '{{ var("binance_oi_symbol") }}' and funding_rate_per_interval is not null
),

funding_observations as (
    select
        funding_at_utc as funding_observed_at_utc,
        funding_rate_per_interval as funding_rate,
        data_mode as funding_data_mode
    from funding
),

snapshots as (
    select trade_date, snapshot_utc
    from trading_days
    where trade_date between (select min(partition_date) from funding)
                         and (select max(partition_date) from funding)
),

as_of as (
    {{ asof_last_at_or_before('snapshots', 'snapshot_utc', 'funding_observations', 'funding_observed_at_utc') }}
),

last_24h as (
    select
        snapshots.trade_date,
        sum(funding.funding_rate_per_interval) as funding_rate_sum,
        count(*) as settlements
    from snapshots
    inner join funding
        on funding.funding_at_utc <= snapshots.snapshot_utc
       and funding.funding_at_utc > {{ dbt.dateadd('hour', -24, 'snapshots.snapshot_utc') }}
    group by snapshots.trade_date
),

final as (
    select
        as_of.trade_date,
        as_of.funding_observed_at_utc as binance_funding_observed_at_utc,
        {{ dbt.datediff('as_of.funding_observed_at_utc', 'as_of.snapshot_utc', 'minute') }}
            as binance_funding_age_minutes,
        case when {{ dbt.datediff('as_of.funding_observed_at_utc', 'as_of.snapshot_utc', 'minute') }} <= {{ max_age_minutes }}
            then as_of.funding_rate end as binance_funding_rate,
        -- a missing settlement would understate the day's cost: the sum needs all three
        case when last_24h.settlements >= 3 then last_24h.funding_rate_sum end as binance_funding_rate_24h_sum,
        coalesce(last_24h.settlements, 0) as binance_funding_settlements_24h,
        as_of.funding_data_mode as data_mode
    from as_of
    left join last_24h on as_of.trade_date = last_24h.trade_date
)

select * from final
