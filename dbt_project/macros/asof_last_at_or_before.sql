{#-
  As-of join: for every row of `snapshots`, the last row of `observations` whose `observed_time`
  is at or before the row's `snapshot_time` (all columns of both; no match -> nulls).
  `snapshots` and `observations` are relation or CTE names with no column name in common;
  `observations` is one series (filter it beforehand) with unique `observed_time`.
  DuckDB has ASOF JOIN; other adapters (Spark, Trino, ...) get the portable form below.
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
    {{ btcflows.asof_by_running_max(snapshots, snapshot_time, observations, observed_time) }}
{% endmacro %}

{#-
  The portable as-of (window functions and equi-joins only; no correlated subquery, which Spark
  rejects in a join condition): the snapshot and observation instants in one stream ordered by time
  (an observation before a snapshot at the same instant: "at or before"); a running max of the
  observation instants gives each snapshot instant its match; the matched observation's columns join
  back on their unique instant. With `max_age_minutes`, a match older than that is no match.
  The stream is one window without partitions: one task on Spark, fine for daily snapshots over
  hourly series; docs/SCALING.md says when to partition it.
-#}
{% macro asof_by_running_max(snapshots, snapshot_time, observations, observed_time, max_age_minutes=none) %}
    select snapshots.*, observations.*
    from {{ snapshots }} as snapshots
    left join (
        select
            asof_instant,
            max(asof_observed_at) over (
                order by asof_instant, asof_is_snapshot rows between unbounded preceding and current row
            ) as asof_match,
            asof_is_snapshot
        from (
            select distinct {{ snapshot_time }} as asof_instant, 1 as asof_is_snapshot,
                   cast(null as {{ dbt.type_timestamp() }}) as asof_observed_at
            from {{ snapshots }}
            union all
            select {{ observed_time }}, 0, {{ observed_time }}
            from {{ observations }}
        ) as instants
    ) as matched
        on matched.asof_is_snapshot = 1 and matched.asof_instant = snapshots.{{ snapshot_time }}
    left join {{ observations }} as observations
        on observations.{{ observed_time }} = matched.asof_match
        {%- if max_age_minutes is not none %}
        and observations.{{ observed_time }} >= {{ dbt.dateadd('minute', -1 * max_age_minutes, 'snapshots.' ~ snapshot_time) }}
        {%- endif %}
{% endmacro %}
