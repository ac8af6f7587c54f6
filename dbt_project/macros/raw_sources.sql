{#-
  The raw tables (`source('raw', ...)`) as the target engine sees them, declared before every run
  (on-run-start). DuckDB: the warehouse's own `raw` schema, written by the Dagster raw assets: nothing
  to declare. Spark: external tables over the raw lake at BTCFLOWS_LAKE (pipelines/lake.py), declared
  from the lake's tables file (the columns of pipelines/datasets.py) and their partitions listed
  again each run, so a partition written since the last run is read and an emptied one is not.
-#}
{% macro register_raw_sources() %}
    {{ return(adapter.dispatch('register_raw_sources', 'btcflows')()) }}
{% endmacro %}

{% macro default__register_raw_sources() %}{% endmacro %}

{% macro spark__register_raw_sources() %}
    {%- if execute %}
        {%- set lake = env_var('BTCFLOWS_LAKE').rstrip('/') -%}
        {#- Instants are naive UTC in the files (as in DuckDB); staging casts them to timestamps. -#}
        {%- set spark_types = {'date': 'date', 'timestamp': 'timestamp_ntz', 'text': 'string',
                               'float': 'double', 'int': 'bigint', 'boolean': 'boolean'} -%}
        {%- set listed = run_query(
            "select table_name, partitioned, column_name, kind from json.`" ~ lake ~ "/btcflows_tables.json` "
            ~ "order by table_name, position") -%}
        {%- set tables = {} -%}
        {%- for row in listed -%}
            {%- do tables.setdefault(row['table_name'], {'partitioned': row['partitioned'], 'columns': []}) -%}
            {%- do tables[row['table_name']]['columns'].append('`' ~ row['column_name'] ~ '` ' ~ spark_types[row['kind']]) -%}
        {%- endfor -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for name, table in tables.items() -%}
            {%- do run_query('drop table if exists raw.' ~ name) -%}
            {%- do run_query('create table raw.' ~ name ~ ' (' ~ table['columns'] | join(', ') ~ ') using parquet'
                             ~ (' partitioned by (_partition)' if table['partitioned'] else '')
                             ~ " location '" ~ lake ~ '/' ~ name ~ "'") -%}
            {%- if table['partitioned'] -%}
                {%- do run_query('msck repair table raw.' ~ name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif %}
{% endmacro %}
