-- Attached to fct_dealer_gamma_summary as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_dealer_gamma_summary'}}}) }}
{#- The summary's S0 and S1 totals are the sums of fct_dealer_gamma, and the zero-gamma grid's
    unshifted point (spot_shift = 0) reproduces the S0 total: one formula, three places. -#}
with by_strike as (
    select
        snapshot_utc,
        sum(gex_usd_per_1pct) as s0,
        sum(gex_usd_per_1pct_dealers_short_all) as s1
    from {{ ref('fct_dealer_gamma') }}
    group by snapshot_utc
),

unshifted as (
    select snapshot_utc, total_gex_usd_per_1pct as s0_grid
    from {{ ref('int_gamma_spot_shift_totals') }}
    where abs(spot_shift) < 1e-12
)

select summary.snapshot_utc, summary.total_gex_usd_per_1pct, by_strike.s0, unshifted.s0_grid,
       summary.total_gex_usd_per_1pct_dealers_short_all, by_strike.s1
from {{ ref('fct_dealer_gamma_summary') }} as summary
inner join by_strike on summary.snapshot_utc = by_strike.snapshot_utc
left join unshifted on summary.snapshot_utc = unshifted.snapshot_utc
where abs(summary.total_gex_usd_per_1pct - by_strike.s0) > 1e-6 * (1 + abs(by_strike.s0))
   or abs(summary.total_gex_usd_per_1pct_dealers_short_all - by_strike.s1) > 1e-6 * (1 + abs(by_strike.s1))
   or unshifted.s0_grid is null
   or abs(unshifted.s0_grid - by_strike.s0) > 1e-6 * (1 + abs(by_strike.s0))
