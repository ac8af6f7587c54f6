{#-
  Each trading day with an IBIT close: the principal of the notes outstanding that day whose principal
  barrier (knock-in or buffer) lies within 5 / 10 / 20 % below the close, the nearest barriers below
  and above the close, and the barriers the close crossed from above that day.
-#}

with ibit_days as (
    select
        trade_date,
        close_price as ibit_close_usd,
        lag(close_price) over (order by trade_date) as ibit_previous_close_usd,
        data_mode
    from {{ ref('int_daily_bars_one_per_symbol') }}
    where symbol = 'IBIT' and is_trading_day and close_price is not null
),

principal_barriers as (
    select *
    from {{ ref('fct_note_barriers') }}
    where is_principal_barrier and barrier_level_usd is not null and pricing_date is not null
),

-- one row per day and outstanding note: its principal and its highest principal barrier
outstanding as (
    select
        ibit_days.trade_date,
        principal_barriers.note_id,
        any_value(principal_barriers.aggregate_principal_usd) as principal_usd,
        max(principal_barriers.barrier_level_usd) as barrier_level_usd,
        any_value(principal_barriers.data_mode) as data_mode
    from ibit_days
    inner join principal_barriers
        on ibit_days.trade_date >= principal_barriers.pricing_date
        and ibit_days.trade_date <= coalesce(principal_barriers.outstanding_until, ibit_days.trade_date)
    group by ibit_days.trade_date, principal_barriers.note_id
),

placed as (
    select
        outstanding.*,
        ibit_days.ibit_close_usd,
        ibit_days.ibit_previous_close_usd,
        (ibit_days.ibit_close_usd - outstanding.barrier_level_usd) / ibit_days.ibit_close_usd as distance_below_close,
        ibit_days.ibit_previous_close_usd >= outstanding.barrier_level_usd
            and ibit_days.ibit_close_usd < outstanding.barrier_level_usd as is_breached_today
    from outstanding
    inner join ibit_days on outstanding.trade_date = ibit_days.trade_date
),

per_day as (
    select
        trade_date,
        count(*) as notes_outstanding,
        sum(principal_usd) as principal_outstanding_usd,
        coalesce(sum(principal_usd) filter (where distance_below_close between 0 and 0.05), 0) as principal_within_5pct_usd,
        coalesce(sum(principal_usd) filter (where distance_below_close between 0 and 0.10), 0) as principal_within_10pct_usd,
        coalesce(sum(principal_usd) filter (where distance_below_close between 0 and 0.20), 0) as principal_within_20pct_usd,
        count(*) filter (where distance_below_close between 0 and 0.20) as notes_within_20pct,
        max(barrier_level_usd) filter (where distance_below_close >= 0) as nearest_barrier_below_usd,
        min(barrier_level_usd) filter (where distance_below_close < 0) as nearest_barrier_above_usd,
        count(*) filter (where is_breached_today) as barriers_breached,
        coalesce(sum(principal_usd) filter (where is_breached_today), 0) as principal_breached_usd,
        {{ string_agg_sorted(format_fixed_decimals('barrier_level_usd', 2), "', '", 'barrier_level_usd desc') }}
            filter (where is_breached_today) as breached_levels_usd,
        {{ aggregate_data_mode('data_mode') }} as notes_data_mode
    from placed
    group by trade_date
),

final as (
    select
        ibit_days.trade_date,
        ibit_days.ibit_close_usd,
        ibit_days.ibit_previous_close_usd,
        coalesce(per_day.notes_outstanding, 0) as notes_outstanding,
        coalesce(per_day.principal_outstanding_usd, 0) as principal_outstanding_usd,
        coalesce(per_day.principal_within_5pct_usd, 0) as principal_within_5pct_usd,
        coalesce(per_day.principal_within_10pct_usd, 0) as principal_within_10pct_usd,
        coalesce(per_day.principal_within_20pct_usd, 0) as principal_within_20pct_usd,
        coalesce(per_day.notes_within_20pct, 0) as notes_within_20pct,
        per_day.nearest_barrier_below_usd,
        (ibit_days.ibit_close_usd - per_day.nearest_barrier_below_usd) / ibit_days.ibit_close_usd as nearest_barrier_below_distance,
        per_day.nearest_barrier_above_usd,
        coalesce(per_day.barriers_breached, 0) as barriers_breached,
        coalesce(per_day.principal_breached_usd, 0) as principal_breached_usd,
        per_day.breached_levels_usd,
        {{ combine_data_modes(['ibit_days.data_mode', 'per_day.notes_data_mode']) }} as data_mode
    from ibit_days
    left join per_day on ibit_days.trade_date = per_day.trade_date
)

select * from final
