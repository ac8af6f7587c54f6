{#- A SQL condition for tests: `relation` has at least one row where `where` holds. -#}
{% macro has_rows(relation, where='1 = 1') -%}
    ((select count(*) from {{ relation }} where {{ where }}) > 0)
{%- endmacro %}
