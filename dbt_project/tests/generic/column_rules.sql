{#- A model's column rules as one dbt test: dbt spends tens of milliseconds of Python per test node
    whatever its query, and one node per rule and column (unique, not_null, accepted_values, ...)
    made most of a run's nodes. Every argument is optional:
      grain:           [col, ...]    no two rows share these values (the compound key)
      unique:          [col, ...]    each column, on its own, has no repeated non-null value
      not_null:        [col, ...]    no null in any row
      not_all_null:    {col: condition}  when the SQL condition holds (an input has rows: macro
                       has_rows, e.g. "{{ btcflows.has_rows(ref('stg_...'), \"symbol = 'IBIT'\") }}"),
                       the column has a value in at least one row of a model that has rows; or
                       [col, ...]: whenever the model has rows. A column nulled in every row by a
                       broken expression (an engine's date function, say) fails although each of
                       its rows passes the other rules
      accepted_values: {col: [v, ...]}  every non-null value is one of these
      ranges:          {col: {min_value, max_value, inclusive}}  every non-null value within
                       (either bound optional; inclusive defaults to true)
    Fails with one row per broken rule and column (rule, column_name, failing_rows); the failure
    count is the number of offending rows summed over them (a column null in all rows: 1).
    Portable SQL (DuckDB, Spark): one scan of the model for the row rules, their counts turned into
    rows by a join with a small table of the rules. -#}
{% test column_rules(model, grain=[], unique=[], not_null=[], not_all_null={}, accepted_values={}, ranges={}) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set text = dbt.type_string() %}
{%- set counts = [] %}
{%- for column in not_null %}
    {%- do counts.append(("not_null", column, "sum(case when " ~ column ~ " is null then 1 else 0 end)")) %}
{%- endfor %}
{%- if not_all_null is not mapping %}
    {%- set conditions = {} %}
    {%- for column in not_all_null %}{% do conditions.update({column: '1 = 1'}) %}{% endfor %}
    {%- set not_all_null = conditions %}
{%- endif %}
{%- for column, condition in not_all_null.items() %}
    {%- do counts.append(("not_all_null", column,
        "case when count(" ~ column ~ ") = 0 and count(*) > 0 and (" ~ condition ~ ") then 1 else 0 end")) %}
{%- endfor %}
{%- for column, values in accepted_values.items() %}
    {%- set listed = [] %}
    {%- for value in values %}
        {%- do listed.append(("'" ~ (value | replace("'", "''")) ~ "'") if value is string else value) %}
    {%- endfor %}
    {%- do counts.append(("accepted_values", column,
        "sum(case when " ~ column ~ " not in (" ~ listed | join(", ") ~ ") then 1 else 0 end)")) %}
{%- endfor %}
{%- for column, rule in ranges.items() %}
    {%- set strict = rule.get('inclusive', true) is false %}
    {%- set bounds = [] %}
    {%- if rule.get('min_value') is not none %}{% do bounds.append(column ~ (' <= ' if strict else ' < ') ~ rule['min_value']) %}{% endif %}
    {%- if rule.get('max_value') is not none %}{% do bounds.append(column ~ (' >= ' if strict else ' > ') ~ rule['max_value']) %}{% endif %}
    {%- do counts.append(("ranges", column, "sum(case when " ~ bounds | join(" or ") ~ " then 1 else 0 end)")) %}
{%- endfor %}
with
{%- if counts %}
counted as (
    select
    {%- for rule, column, count in counts %}
        {{ count }} as failing_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
),

rules as (
    {%- for rule, column, count in counts %}
    select {{ loop.index }} as rule_index, '{{ rule }}' as rule, '{{ column }}' as column_name{{ " union all" if not loop.last }}
    {%- endfor %}
),
{%- endif %}

broken as (
    select cast(null as {{ text }}) as rule, cast(null as {{ text }}) as column_name, cast(0 as bigint) as failing_rows
    from (select 1 as one) as nothing
    where 1 = 0
{%- if counts %}
    union all
    select
        rules.rule,
        rules.column_name,
        cast(coalesce(case rules.rule_index
            {%- for rule, column, count in counts %}
            when {{ loop.index }} then counted.failing_{{ loop.index }}
            {%- endfor %}
        end, 0) as bigint)
    from rules
    cross join counted
{%- endif %}
{%- if grain %}
    union all
    select 'grain', '{{ grain | join(", ") }}', cast(coalesce(sum(rows_with_key), 0) as bigint)
    from (
        select count(*) as rows_with_key from {{ model }}
        group by {{ grain | join(", ") }}
        having count(*) > 1
    ) as repeated_keys
{%- endif %}
{%- for column in unique %}
    union all
    select 'unique', '{{ column }}', cast(coalesce(sum(rows_with_value), 0) as bigint)
    from (
        select count(*) as rows_with_value from {{ model }}
        where {{ column }} is not null
        group by {{ column }}
        having count(*) > 1
    ) as repeated_values
{%- endfor %}
)

select rule, column_name, failing_rows
from broken
where failing_rows > 0
{% endtest %}
