{#- A model's column rules as one dbt test: dbt spends tens of milliseconds of Python per test node
    whatever its query, and one node per rule and column (unique, not_null, accepted_values, ...)
    made most of a run's nodes. Every argument is optional:
      grain:           [col, ...]    no two rows share these values (the compound key)
      unique:          [col, ...]    each column, on its own, has no repeated non-null value
      not_null:        [col, ...]    no null in any row
      accepted_values: {col: [v, ...]}  every non-null value is one of these
      ranges:          {col: {min_value, max_value, inclusive}}  every non-null value within
                       (either bound optional; inclusive defaults to true)
    Fails with one row per broken rule and column (rule, column_name, failing_rows); the failure
    count is the number of offending rows summed over them. -#}
{% test column_rules(model, grain=[], unique=[], not_null=[], accepted_values={}, ranges={}) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set counts = [] %}
{%- for column in not_null %}
    {%- do counts.append(("not_null", column, column ~ " is null")) %}
{%- endfor %}
{%- for column, values in accepted_values.items() %}
    {%- set listed = [] %}
    {%- for value in values %}
        {%- do listed.append(("'" ~ (value | replace("'", "''")) ~ "'") if value is string else value) %}
    {%- endfor %}
    {%- do counts.append(("accepted_values", column, column ~ " not in (" ~ listed | join(", ") ~ ")")) %}
{%- endfor %}
{%- for column, rule in ranges.items() %}
    {%- set strict = rule.get('inclusive', true) is false %}
    {%- set bounds = [] %}
    {%- if rule.get('min_value') is not none %}{% do bounds.append(column ~ (' <= ' if strict else ' < ') ~ rule['min_value']) %}{% endif %}
    {%- if rule.get('max_value') is not none %}{% do bounds.append(column ~ (' >= ' if strict else ' > ') ~ rule['max_value']) %}{% endif %}
    {%- do counts.append(("ranges", column, bounds | join(" or "))) %}
{%- endfor %}
with
{%- if counts %}
counted as (
    select
    {%- for rule, column, condition in counts %}
        count(*) filter (where {{ condition }}) as "{{ rule }}:{{ column }}"{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
),
{%- endif %}
broken as (
    select null::varchar as rule, null::varchar as column_name, 0::bigint as failing_rows
    where false
{%- if counts %}
    union all
    select split_part(rule_column, ':', 1), split_part(rule_column, ':', 2), failing_rows
    from (unpivot counted on columns(*) into name rule_column value failing_rows)
{%- endif %}
{%- if grain %}
    union all
    select 'grain', '{{ grain | join(", ") }}', coalesce(sum(rows_with_key), 0)
    from (
        select count(*) as rows_with_key from {{ model }}
        group by {{ grain | join(", ") }}
        having count(*) > 1
    )
{%- endif %}
{%- for column in unique %}
    union all
    select 'unique', '{{ column }}', coalesce(sum(rows_with_value), 0)
    from (
        select count(*) as rows_with_value from {{ model }}
        where {{ column }} is not null
        group by {{ column }}
        having count(*) > 1
    )
{%- endfor %}
)
select rule, column_name, failing_rows
from broken
where failing_rows > 0
{% endtest %}
