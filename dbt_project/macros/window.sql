{#- The run's window of partition dates (New York dates), which Dagster passes as the environment
    variables BTCFLOWS_WINDOW_START / BTCFLOWS_WINDOW_END (pipelines/dbt_project.py window_env; not
    dbt vars, which would force a full re-parse on every run). Without them (a plain `dbt build`):
    all of history. Incremental models recompute the rows dated in the window. -#}
{% macro window_start() -%}
    cast('{{ env_var("BTCFLOWS_WINDOW_START", "1900-01-01") }}' as date)
{%- endmacro %}

{% macro window_end() -%}
    cast('{{ env_var("BTCFLOWS_WINDOW_END", "9999-12-31") }}' as date)
{%- endmacro %}
