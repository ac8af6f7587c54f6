{#- None of `column_names` is null in any row. One test per model rather than one per column: dbt
    spends tens of milliseconds of Python per test node whatever its query, and a model has many
    required columns. Fails with one row per column that has nulls (column_name, null_rows). -#}
{% test not_null_columns(model, column_names) %}
with null_rows as (
    select
    {%- for column in column_names %}
        count(*) filter (where {{ column }} is null) as "{{ column }}"{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
select column_name, null_rows
from (unpivot null_rows on columns(*) into name column_name value null_rows)
where null_rows > 0
{% endtest %}
