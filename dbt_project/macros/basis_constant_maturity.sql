{#-
  CME basis arithmetic (SOURCES.md § Methodology, Coin Metrics method).

  basis_days_to_settlement(from_utc, to_utc)
                                         fractional days (ACT: elapsed seconds / 86,400) from the
                                         4 pm New York snapshot to the final settlement instant
  basis_total(settle, spot)              B = F / S - 1 (total, not annualized; decimal)
  basis_annualize(total, days)           b = B x 365 / days (ACT/365); null when days <= 0 (the
                                         contract settled before the snapshot)
  basis_interpolate_total(B1, t1, B2, t2, N)
                                         B_N = B1 + (B2 - B1)(N - t1)/(t2 - t1), linear in time;
                                         the same line extrapolates when N is outside [t1, t2].
  All are plain expressions: null in, null out.
-#}

{% macro basis_days_to_settlement(from_utc, to_utc) -%}
    (cast({{ dbt.datediff(from_utc, to_utc, 'second') }} as double) / 86400)
{%- endmacro %}

{% macro basis_total(settle, spot) -%}
    ({{ settle }} / nullif({{ spot }}, 0) - 1)
{%- endmacro %}

{% macro basis_annualize(total, days) -%}
    (case when {{ days }} > 0 then {{ total }} * 365.0 / {{ days }} end)
{%- endmacro %}

{% macro basis_interpolate_total(total_near, days_near, total_far, days_far, days) -%}
    ({{ total_near }} + ({{ total_far }} - {{ total_near }})
        * ({{ days }} - {{ days_near }}) / nullif(cast({{ days_far }} - {{ days_near }} as double), 0))
{%- endmacro %}

{#- The constant-maturity tenors, in days. -#}
{% macro basis_tenor_days() -%}
    {{ return([30, 60, 90, 120]) }}
{%- endmacro %}
