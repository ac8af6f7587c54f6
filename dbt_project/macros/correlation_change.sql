{#-
  Fisher's z-test of a change in a Pearson correlation between two non-overlapping samples:
      z = (atanh(r_new) - atanh(r_old)) / sqrt(1 / (n_new - 3) + 1 / (n_old - 3))
  Under "no change" (bivariate normal returns, independent samples) z is standard normal. atanh is
  written out, 0.5 ln((1 + r) / (1 - r)); |r| >= 1 gives null. Arguments are column names or
  parenthesised expressions; n_new and n_old are numbers.
-#}
{% macro fisher_z(r) -%}
    (case when abs({{ r }}) < 1 then 0.5 * ln((1 + {{ r }}) / (1 - {{ r }})) end)
{%- endmacro %}

{% macro correlation_change_z(r_new, n_new, r_old, n_old) -%}
    (({{ fisher_z(r_new) }} - {{ fisher_z(r_old) }}) / sqrt(cast(1 as double) / ({{ n_new }} - 3) + cast(1 as double) / ({{ n_old }} - 3)))
{%- endmacro %}
