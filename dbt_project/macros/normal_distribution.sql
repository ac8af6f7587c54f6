{#-
  Standard normal distribution in plain SQL (no erf in most warehouses).
  normal_upper_tail(x) = 1 - Phi(|x|) by Hart's algorithm 5666 (Hart 1968; G. West, "Better approximations
  to cumulative normal functions", 2005): a rational function for |x| < 7.07, a continued fraction beyond.
  Absolute error below 1e-15 and relative error below 1e-8 in the tail (checked against math.erfc in
  tests/integration/test_marts_options_gamma_signals.py). Pass a column name or a parenthesised expression:
  it is repeated in the generated SQL.
-#}

{% macro normal_pdf(x) -%}
    (exp(-0.5 * ({{ x }}) * ({{ x }})) / 2.5066282746310002)
{%- endmacro %}

{% macro normal_upper_tail(x) -%}
    {%- set a = 'abs(' ~ x ~ ')' -%}
    (case
        when {{ x }} is null then null
        when {{ a }} > 37 then 0.0
        when {{ a }} < 7.07106781186547 then
            exp(-{{ a }} * {{ a }} / 2)
            * ((((((0.0352624965998911 * {{ a }} + 0.700383064443688) * {{ a }} + 6.37396220353165) * {{ a }}
                + 33.912866078383) * {{ a }} + 112.079291497871) * {{ a }} + 221.213596169931) * {{ a }}
                + 220.206867912376)
            / (((((((0.0883883476483184 * {{ a }} + 1.75566716318264) * {{ a }} + 16.064177579207) * {{ a }}
                + 86.7807322029461) * {{ a }} + 296.564248779674) * {{ a }} + 637.333633378831) * {{ a }}
                + 793.826512519948) * {{ a }} + 440.413735824752)
        else
            exp(-{{ a }} * {{ a }} / 2)
            / ({{ a }} + 1 / ({{ a }} + 2 / ({{ a }} + 3 / ({{ a }} + 4 / ({{ a }} + 0.65)))))
            / 2.506628274631
    end)
{%- endmacro %}

{#- Phi(x), the standard normal CDF. -#}
{% macro normal_cdf(x) -%}
    (case when {{ x }} > 0 then 1 - {{ normal_upper_tail(x) }} else {{ normal_upper_tail(x) }} end)
{%- endmacro %}

{#- Two-sided tail probability of a z-score: 2 x (1 - Phi(|z|)). -#}
{% macro normal_two_sided_tail_prob(z) -%}
    (2 * {{ normal_upper_tail(z) }})
{%- endmacro %}
