-- Attached to int_btc_usd_at_4pm as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'int_btc_usd_at_4pm'}}}) }}
-- dagster-dbt makes a check of a test only for a model the test depends on:
-- depends_on: {{ ref('int_btc_usd_at_4pm') }}
-- The adapter's as-of join, the portable one other engines use, and a plain range join with max()
-- must pick the same observation for every snapshot.
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

range_join_as_of as (
    select snapshots.trade_date, max(observations.observed_at_utc) as observed_at_utc
    from snapshots
    left join observations on observations.observed_at_utc <= snapshots.snapshot_utc
    group by snapshots.trade_date
)

select coalesce(adapter_as_of.trade_date, portable_as_of.trade_date, range_join_as_of.trade_date) as trade_date,
       adapter_as_of.observed_at_utc,
       portable_as_of.observed_at_utc as portable_observed_at_utc,
       range_join_as_of.observed_at_utc as range_join_observed_at_utc
from adapter_as_of
full outer join portable_as_of on adapter_as_of.trade_date = portable_as_of.trade_date
full outer join range_join_as_of on coalesce(adapter_as_of.trade_date, portable_as_of.trade_date) = range_join_as_of.trade_date
where adapter_as_of.observed_at_utc is distinct from portable_as_of.observed_at_utc
   or adapter_as_of.observed_at_utc is distinct from range_join_as_of.observed_at_utc
   or adapter_as_of.trade_date is null
   or portable_as_of.trade_date is null
   or range_join_as_of.trade_date is null
