{#- Every non-null value of each column lies within its range: `ranges` maps a column to
    {min_value, max_value, inclusive} (either bound optional; inclusive defaults to true). One test
    per model rather than one per column (see not_null_columns). Fails with one row per column
    out of range (column_name, rows_out_of_range). -#}
{% test accepted_ranges(model, ranges) %}
with out_of_range as (
    select
    {%- for column, rule in ranges.items() %}
        {%- set strict = rule.get('inclusive', true) is false %}
        count(*) filter (where false
            {%- if rule.get('min_value') is not none %} or {{ column }} {{ '<=' if strict else '<' }} {{ rule['min_value'] }}{% endif %}
            {%- if rule.get('max_value') is not none %} or {{ column }} {{ '>=' if strict else '>' }} {{ rule['max_value'] }}{% endif %}
        ) as "{{ column }}"{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
select column_name, rows_out_of_range
from (unpivot out_of_range on columns(*) into name column_name value rows_out_of_range)
where rows_out_of_range > 0
{% endtest %}
