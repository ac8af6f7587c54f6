{#- An aggregate: the distinct non-null values of `column`, sorted, joined by `delimiter` (a SQL
    string literal). -#}
{% macro string_agg_distinct_sorted(column, delimiter) -%}
    {{ return(adapter.dispatch('string_agg_distinct_sorted', 'btcflows')(column, delimiter)) }}
{%- endmacro %}

{% macro default__string_agg_distinct_sorted(column, delimiter) -%}
    listagg(distinct {{ column }}, {{ delimiter }}) within group (order by {{ column }})
{%- endmacro %}

{% macro duckdb__string_agg_distinct_sorted(column, delimiter) -%}
    string_agg(distinct {{ column }}, {{ delimiter }} order by {{ column }})
{%- endmacro %}

{% macro spark__string_agg_distinct_sorted(column, delimiter) -%}
    array_join(array_sort(collect_set({{ column }})), {{ delimiter }})
{%- endmacro %}
