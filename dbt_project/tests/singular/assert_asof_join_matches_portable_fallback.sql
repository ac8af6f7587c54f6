-- Attached to int_btc_usd_at_4pm as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'int_btc_usd_at_4pm'}}}) }}
-- dagster-dbt makes a check of a test only for a model the test depends on:
-- depends_on: {{ ref('int_btc_usd_at_4pm') }}
-- The adapter's as-of joins, the portable ones other engines use, and a plain range join with max()
-- must pick the same observation for every snapshot: the last at or before it, and the last at most
-- var asof_max_age_minutes old (asof_recent_at_or_before).
{%- set max_age = var('asof_max_age_minutes') %}
with snapshots as (
    select trade_date, snapshot_utc from {{ ref('int_trading_days') }}
    where trade_date between (select min(partition_date) from {{ ref('stg_raw__hourly_bars') }})
                         and (select max(partition_date) from {{ ref('stg_raw__hourly_bars') }})
),

observations as (
    select distinct bar_end_utc as observed_at_utc
    from {{ ref('stg_raw__hourly_bars') }}
    where symbol = 'BTC-USD' and close_price is not null
),

adapter_as_of as (
    {{ asof_last_at_or_before('snapshots', 'snapshot_utc', 'observations', 'observed_at_utc') }}
),

portable_as_of as (
    {{ btcflows.default__asof_last_at_or_before('snapshots', 'snapshot_utc', 'observations', 'observed_at_utc') }}
),

adapter_recent as (
    {{ asof_recent_at_or_before('snapshots', 'snapshot_utc', 'observations', 'observed_at_utc', max_age) }}
),

portable_recent as (
    {{ btcflows.default__asof_recent_at_or_before('snapshots', 'snapshot_utc', 'observations', 'observed_at_utc', max_age) }}
),

range_join as (
    select
        snapshots.trade_date,
        max(observations.observed_at_utc) as observed_at_utc,
        max(case when observations.observed_at_utc
                      >= {{ dbt.dateadd('minute', -1 * max_age, 'snapshots.snapshot_utc') }}
                 then observations.observed_at_utc end) as recent_observed_at_utc
    from snapshots
    left join observations on observations.observed_at_utc <= snapshots.snapshot_utc
    group by snapshots.trade_date
),

answers as (
    select
        range_join.trade_date,
        range_join.observed_at_utc,
        range_join.recent_observed_at_utc,
        adapter_as_of.observed_at_utc as adapter_observed_at_utc,
        portable_as_of.observed_at_utc as portable_observed_at_utc,
        adapter_recent.observed_at_utc as adapter_recent_observed_at_utc,
        portable_recent.observed_at_utc as portable_recent_observed_at_utc,
        (select count(*) from adapter_as_of) as adapter_rows,
        (select count(*) from portable_as_of) as portable_rows,
        (select count(*) from adapter_recent) as adapter_recent_rows,
        (select count(*) from portable_recent) as portable_recent_rows,
        (select count(*) from range_join) as snapshot_rows
    from range_join
    left join adapter_as_of on range_join.trade_date = adapter_as_of.trade_date
    left join portable_as_of on range_join.trade_date = portable_as_of.trade_date
    left join adapter_recent on range_join.trade_date = adapter_recent.trade_date
    left join portable_recent on range_join.trade_date = portable_recent.trade_date
)

select *
from answers
where adapter_observed_at_utc is distinct from observed_at_utc
   or portable_observed_at_utc is distinct from observed_at_utc
   or adapter_recent_observed_at_utc is distinct from recent_observed_at_utc
   or portable_recent_observed_at_utc is distinct from recent_observed_at_utc
   or adapter_rows <> snapshot_rows
   or portable_rows <> snapshot_rows
   or adapter_recent_rows <> snapshot_rows
   or portable_recent_rows <> snapshot_rows
