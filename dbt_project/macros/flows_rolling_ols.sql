{#-
  Rolling OLS of y on two regressors, y = a + b1 x1 + b2 x2, fitted on the rows of `frame`
  (a window frame clause, e.g. "partition by ticker order by n range between 250 preceding and 1 preceding").
  Pass inputs that are null on every row where any of y, x1, x2 is missing, so all moments use the same rows.
  Closed-form normal equations on population (co)variances, which the window aggregates give directly:
    b1 = (V22 C1y - C12 C2y) / (V11 V22 - C12^2),  b2 = (V11 C2y - C12 C1y) / (V11 V22 - C12^2),
    a  = mean(y) - b1 mean(x1) - b2 mean(x2).
  Emits columns <prefix>_n_obs, <prefix>_v11, ... for a later select to combine with
  the slope/intercept macros below; a (near-)singular design, where x1 and x2 are collinear
  (1 - corr(x1, x2)^2 <= 1e-9) or either is constant, gives null coefficients.
-#}
{% macro flows_rolling_ols_moments(y, x1, x2, frame, prefix='ols') -%}
    count({{ y }}) over ({{ frame }}) as {{ prefix }}_n_obs,
    avg({{ y }}) over ({{ frame }}) as {{ prefix }}_mean_y,
    avg({{ x1 }}) over ({{ frame }}) as {{ prefix }}_mean_x1,
    avg({{ x2 }}) over ({{ frame }}) as {{ prefix }}_mean_x2,
    var_pop({{ x1 }}) over ({{ frame }}) as {{ prefix }}_v11,
    var_pop({{ x2 }}) over ({{ frame }}) as {{ prefix }}_v22,
    covar_pop({{ x1 }}, {{ x2 }}) over ({{ frame }}) as {{ prefix }}_c12,
    covar_pop({{ x1 }}, {{ y }}) over ({{ frame }}) as {{ prefix }}_c1y,
    covar_pop({{ x2 }}, {{ y }}) over ({{ frame }}) as {{ prefix }}_c2y
{%- endmacro %}

{% macro flows_ols_determinant(prefix='ols') -%}
    (case
        when {{ prefix }}_v11 > 0 and {{ prefix }}_v22 > 0
         and {{ prefix }}_v11 * {{ prefix }}_v22 - {{ prefix }}_c12 * {{ prefix }}_c12
             > 1e-9 * {{ prefix }}_v11 * {{ prefix }}_v22
        then {{ prefix }}_v11 * {{ prefix }}_v22 - {{ prefix }}_c12 * {{ prefix }}_c12
    end)
{%- endmacro %}

{% macro flows_ols_slope_1(prefix='ols') -%}
    (({{ prefix }}_v22 * {{ prefix }}_c1y - {{ prefix }}_c12 * {{ prefix }}_c2y)
        / {{ flows_ols_determinant(prefix) }})
{%- endmacro %}

{% macro flows_ols_slope_2(prefix='ols') -%}
    (({{ prefix }}_v11 * {{ prefix }}_c2y - {{ prefix }}_c12 * {{ prefix }}_c1y)
        / {{ flows_ols_determinant(prefix) }})
{%- endmacro %}

{% macro flows_ols_intercept(prefix='ols') -%}
    ({{ prefix }}_mean_y - {{ flows_ols_slope_1(prefix) }} * {{ prefix }}_mean_x1
        - {{ flows_ols_slope_2(prefix) }} * {{ prefix }}_mean_x2)
{%- endmacro %}
