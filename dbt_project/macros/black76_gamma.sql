{#-
  Option gamma (d delta / d underlying, per unit of underlying price, 1/USD) in plain SQL; null when the
  inputs cannot be priced (T <= 0, sigma <= 0 or null, non-positive prices).

  black76_gamma: options on a future or forward F (Deribit, CME options on futures):
      d1 = [ln(F/K) + sigma^2 T / 2] / (sigma sqrt T),  Gamma = e^{-rT} phi(d1) / (F sigma sqrt T)
  gamma_black_scholes: options on a share price S with carry (rate r, dividend yield q):
      d1 = [ln(S/K) + (r - q + sigma^2 / 2) T] / (sigma sqrt T),  Gamma = e^{-qT} phi(d1) / (S sigma sqrt T)
  With r = q = 0 the two coincide. Arguments are column names or parenthesised expressions.
-#}

{% macro black76_gamma(forward, strike, sigma, t_years, rate=0) -%}
    {%- set d1 -%}
        ((ln({{ forward }} / {{ strike }}) + {{ sigma }} * {{ sigma }} * {{ t_years }} / 2) / ({{ sigma }} * sqrt({{ t_years }})))
    {%- endset -%}
    (case
        when {{ t_years }} > 0 and {{ sigma }} > 0 and {{ forward }} > 0 and {{ strike }} > 0 then
            exp(-({{ rate }}) * {{ t_years }}) * {{ normal_pdf(d1) }} / ({{ forward }} * {{ sigma }} * sqrt({{ t_years }}))
    end)
{%- endmacro %}

{% macro gamma_black_scholes(spot, strike, sigma, t_years, rate=0, dividend_yield=0) -%}
    {%- set d1 -%}
        ((ln({{ spot }} / {{ strike }}) + (({{ rate }}) - ({{ dividend_yield }}) + {{ sigma }} * {{ sigma }} / 2) * {{ t_years }}) / ({{ sigma }} * sqrt({{ t_years }})))
    {%- endset -%}
    (case
        when {{ t_years }} > 0 and {{ sigma }} > 0 and {{ spot }} > 0 and {{ strike }} > 0 then
            exp(-({{ dividend_yield }}) * {{ t_years }}) * {{ normal_pdf(d1) }} / ({{ spot }} * {{ sigma }} * sqrt({{ t_years }}))
    end)
{%- endmacro %}

{#-
  The zero-gamma grid: one row per spot shift (decimal, -0.30 = spot 30% lower), from var
  gamma_spot_shift_min to gamma_spot_shift_max in gamma_spot_shift_step, column `spot_shift`, with an
  integer `shift_index` (0 = the lowest shift) so neighbours join exactly.
-#}
{% macro gamma_spot_shift_grid() -%}
    {{ return(adapter.dispatch('gamma_spot_shift_grid', 'btcflows')()) }}
{%- endmacro %}

{% macro duckdb__gamma_spot_shift_grid() -%}
    {%- set lo = var('gamma_spot_shift_min') | float -%}
    {%- set step = var('gamma_spot_shift_step') | float -%}
    {%- set n = ((var('gamma_spot_shift_max') | float - lo) / step + 0.5) | int -%}
    select
        cast(shift_index as integer) as shift_index,
        {{ lo }} + shift_index * {{ step }} as spot_shift
    from range(0, {{ n + 1 }}) as grid(shift_index)
{%- endmacro %}

{% macro default__gamma_spot_shift_grid() -%}
    {%- set lo = var('gamma_spot_shift_min') | float -%}
    {%- set step = var('gamma_spot_shift_step') | float -%}
    {%- set n = ((var('gamma_spot_shift_max') | float - lo) / step + 0.5) | int -%}
    {%- for i in range(n + 1) %}
    select {{ i }} as shift_index, {{ lo }} + {{ i }} * {{ step }} as spot_shift{% if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}
