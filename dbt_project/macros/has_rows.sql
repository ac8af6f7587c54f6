{#- A SQL condition, for the not_all_null rule of column_rules: `relation` has a row where `where` holds. -#}
{% macro has_rows(relation, where='1 = 1') -%}
    ((select count(*) from {{ relation }} where {{ where }}) > 0)
{%- endmacro %}
