{#-
  `number` (a finite double) as text with `places` (0, 1 or 2) decimals, rounded as C's
  printf('%.2f') rounds: the exact binary value, a tie to even. DuckDB's printf does that. Java's
  formatter (Spark's printf and format_string) and Spark's casts to decimal round the shortest decimal
  form half up instead: 38.675, stored as 38.674999999999997..., is 38.67 in C and 38.68 in Java;
  0.125 (exact) is 0.12 in C and 0.13 in Java. So a barrier level listed by one engine would read a
  cent apart on the other.

  The portable form rounds in integers, exactly: |number| = m / 2^s with m an integer (below 2^55)
  and 0 <= s <= 62 (s from log2, which may be one off near a power of two: m stays an integer; below
  2^-9, where s stops at 62, m is floored, and such a number prints as 0 at up to two places anyway);
  q, r = divmod(m x 10^places, 2^s); q + 1 when 2r > 2^s, or 2r = 2^s and q is odd (the tie to even).
  Exact while |number| x 10^places < 2^53 (below 9e13 at two places); a -0.0 prints as 0 (C: -0).
  Null in, null out.
  tests/singular/assert_format_fixed_decimals_rounds_as_printf.sql holds both forms to Python's '%.2f'.
-#}
{% macro format_fixed_decimals(number, places) -%}
    {{ return(adapter.dispatch('format_fixed_decimals', 'btcflows')(number, places)) }}
{%- endmacro %}

{% macro duckdb__format_fixed_decimals(number, places) -%}
    printf('%.{{ places }}f', {{ number }})
{%- endmacro %}

{% macro default__format_fixed_decimals(number, places) -%}
    {%- if places not in [0, 1, 2] -%}
        {{ exceptions.raise_compiler_error("format_fixed_decimals: 0, 1 or 2 places (m x 10^places must fit a bigint), not " ~ places) }}
    {%- endif -%}
    {%- set magnitude = 'abs(' ~ number ~ ')' -%}
    {#- log2 of 0 is null or an error: 1e-300 gives s = 62 and m = 0 -#}
    {%- set s = 'least(62, greatest(0, 53 - cast(floor(log2(greatest(' ~ magnitude ~ ', 1e-300))) as integer)))' -%}
    {%- set two_s = 'cast(pow(2, ' ~ s ~ ') as bigint)' -%}
    {%- set scaled = '(cast(floor(' ~ magnitude ~ ' * pow(2, ' ~ s ~ ')) as bigint) * ' ~ 10 ** places ~ ')' -%}
    {%- set r = '(' ~ scaled ~ ' % ' ~ two_s ~ ')' -%}
    {#- (scaled - r) / 2^s is an exact double: q times a power of two, q below 2^53 (the limit above) -#}
    {%- set q = 'cast((' ~ scaled ~ ' - ' ~ r ~ ') / ' ~ two_s ~ ' as bigint)' -%}
    {%- set units -%}
        ({{ q }} + case when 2 * {{ r }} > {{ two_s }} or (2 * {{ r }} = {{ two_s }} and {{ q }} % 2 = 1) then 1 else 0 end)
    {%- endset -%}
    (case when {{ number }} < 0 then '-' else '' end
        || cast({% if places == 0 %}{{ units }}{% else %}cast({{ units }} as decimal(38, 0)) * {{ '%.*f' | format(places, 10 ** -places) }}{% endif %} as {{ dbt.type_string() }}))
{%- endmacro %}
