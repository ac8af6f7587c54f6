{#- An aggregate: the non-null values of `column` joined by `delimiter` (a SQL string literal) in the
    order of `order_by` (an order-by list: "barrier_kind, barrier_seq", "level desc"). A FILTER clause
    may follow it. DuckDB: string_agg(... order by ...), which Spark does not parse; elsewhere (Spark 4,
    Trino, Snowflake, Redshift) the standard listagg(...) within group (order by ...), which Spark 3.5
    lacks. -#}
{% macro string_agg_sorted(column, delimiter, order_by) -%}
    {{ return(adapter.dispatch('string_agg_sorted', 'btcflows')(column, delimiter, order_by)) }}
{%- endmacro %}

{% macro default__string_agg_sorted(column, delimiter, order_by) -%}
    listagg({{ column }}, {{ delimiter }}) within group (order by {{ order_by }})
{%- endmacro %}

{% macro duckdb__string_agg_sorted(column, delimiter, order_by) -%}
    string_agg({{ column }}, {{ delimiter }} order by {{ order_by }})
{%- endmacro %}
