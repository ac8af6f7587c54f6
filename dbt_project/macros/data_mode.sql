{#- data_mode of rows built from several raw rows: 'simulated' when all are simulated, 'real' when
    all are real or live, 'mixed' otherwise (a live row is real data, just fetched today). -#}

{% macro aggregate_data_mode(data_mode_column) -%}
    case
        when min(case when {{ data_mode_column }} = 'simulated' then 1 else 0 end) = 1 then 'simulated'
        when max(case when {{ data_mode_column }} in ('simulated', 'mixed') then 1 else 0 end) = 0 then 'real'
        else 'mixed'
    end
{%- endmacro %}

{#- The same across the columns of one row; null columns (no contributing row) are ignored. -#}
{% macro combine_data_modes(data_mode_columns) -%}
    {%- set has_simulated -%}
        ({% for c in data_mode_columns %}coalesce({{ c }} in ('simulated', 'mixed'), false){% if not loop.last %} or {% endif %}{% endfor %})
    {%- endset -%}
    {%- set has_real -%}
        ({% for c in data_mode_columns %}coalesce({{ c }} in ('real', 'live', 'mixed'), false){% if not loop.last %} or {% endif %}{% endfor %})
    {%- endset -%}
    case
        when {{ has_simulated }} and {{ has_real }} then 'mixed'
        when {{ has_simulated }} then 'simulated'
        when {{ has_real }} then 'real'
    end
{%- endmacro %}

{% macro lineage_columns() -%}
    _mode as data_mode,
    _source as lineage_source,
    _payload_sha256 as payload_sha256,
    _ingested_at as ingested_at_utc,
    _partition as partition_date,
    _is_trading_day as is_trading_day
{%- endmacro %}
