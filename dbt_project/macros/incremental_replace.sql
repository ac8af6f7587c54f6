{#-
  The config of an incremental model whose run replaces every row of the `key` values it recomputes
  (a chain snapshot's grid, say), as a dict for `config(**...)`:
  * DuckDB (and adapters with it): `delete+insert` on `unique_key` = key.
  * Spark: `insert_overwrite` of the table partitioned by `key` (dbt-spark's dynamic partition
    overwrite; its `merge` needs Delta, Iceberg or Hudi, which plain Parquet is not): the partitions
    the run writes replace theirs, the others stay, which is delete+insert by `key`.
-#}
{% macro incremental_replace_config(key) %}
    {{ return(adapter.dispatch('incremental_replace_config', 'btcflows')(key)) }}
{% endmacro %}

{% macro default__incremental_replace_config(key) %}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': key}) }}
{% endmacro %}

{% macro spark__incremental_replace_config(key) %}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [key], 'file_format': 'parquet'}) }}
{% endmacro %}
