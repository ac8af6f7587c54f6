{#-
  As-of join: for every row of `snapshots`, the last row of `observations` whose `observed_time`
  is at or before the row's `snapshot_time` (all columns of both; no match -> nulls).
  `snapshots` and `observations` are relation or CTE names with no column name in common;
  `observations` is one series (filter it beforehand) with unique `observed_time`.
  DuckDB has ASOF JOIN; other adapters get a portable correlated-subquery fallback.
-#}
{% macro asof_last_at_or_before(snapshots, snapshot_time, observations, observed_time) %}
    {{ return(adapter.dispatch('asof_last_at_or_before', 'btcflows')(snapshots, snapshot_time, observations, observed_time)) }}
{% endmacro %}

{% macro duckdb__asof_last_at_or_before(snapshots, snapshot_time, observations, observed_time) %}
    select snapshots.*, observations.*
    from {{ snapshots }} as snapshots
    asof left join {{ observations }} as observations
        on snapshots.{{ snapshot_time }} >= observations.{{ observed_time }}
{% endmacro %}

{% macro default__asof_last_at_or_before(snapshots, snapshot_time, observations, observed_time) %}
    select snapshots.*, observations.*
    from {{ snapshots }} as snapshots
    left join {{ observations }} as observations
        on observations.{{ observed_time }} = (
            select max(earlier.{{ observed_time }})
            from {{ observations }} as earlier
            where earlier.{{ observed_time }} <= snapshots.{{ snapshot_time }}
        )
{% endmacro %}
