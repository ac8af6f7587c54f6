{#- Models land in exactly the schema they configure (staging, intermediate, marts), not
    dbt's default <target_schema>_<custom_schema>, so Dagster and `btcflows query` can name them. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
