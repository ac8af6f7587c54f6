{#-
  Total dealer gamma exposure of each chain snapshot re-priced at shifted spot: every line's underlying
  price (forward for BTC options, share price for IBIT) is moved by the same spot_shift, gamma is
  recomputed there, GEX = Gamma x OI x multiplier x shifted price^2 x 0.01. S0 (equity) convention:
  calls +, puts -. One row per snapshot and grid point (macro gamma_spot_shift_grid).

  Incremental: the grid is the most expensive computation of the project (every option line x 121
  shifts), so a run recomputes only the snapshots dated in its window (one day either side, for the
  UTC/New York date edge) and replaces those snapshots' rows. After changing this model's logic,
  rebuild it whole: `btcflows materialize --full-refresh ...` or
  `dbt build --full-refresh --select int_gamma_spot_shift_totals+`. How the rows are replaced depends on
  the engine (macros/incremental_replace.sql).
-#}
{{ config(materialized='incremental', on_schema_change='fail', **incremental_replace_config('snapshot_utc')) }}

with lines as (
    select * from {{ ref('int_gamma_option_lines') }}
    where is_priced
    {%- if is_incremental() %}
      and cast(snapshot_utc as date) between {{ window_start() }} - 1 and {{ window_end() }} + 1
    {%- endif %}
),

grid as (
    {{ gamma_spot_shift_grid() }}
),

shifted as (
    select
        lines.snapshot_utc,
        grid.shift_index,
        grid.spot_shift,
        case when lines.put_call = 'C' then 1.0 else -1.0 end as s0_sign,
        lines.underlying_price_usd * (1 + grid.spot_shift) as shifted_price_usd,
        lines.strike_usd,
        lines.mark_iv_decimal,
        lines.years_to_expiry,
        lines.pricing_model,
        lines.open_interest_contracts * lines.contract_multiplier as position_units
    from lines
    cross join grid
),

gex as (
    select
        snapshot_utc,
        shift_index,
        spot_shift,
        s0_sign * position_units * shifted_price_usd * shifted_price_usd * 0.01 * (
            case when pricing_model = 'black76'
                then {{ black76_gamma('shifted_price_usd', 'strike_usd', 'mark_iv_decimal', 'years_to_expiry') }}
                else {{ gamma_black_scholes('shifted_price_usd', 'strike_usd', 'mark_iv_decimal', 'years_to_expiry') }}
            end
        ) as gex_usd_per_1pct
    from shifted
),

final as (
    select
        snapshot_utc,
        shift_index,
        spot_shift,
        sum(gex_usd_per_1pct) as total_gex_usd_per_1pct
    from gex
    group by snapshot_utc, shift_index, spot_shift
)

select * from final
