-- Attached to fct_cross_asset as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_cross_asset'}}}) }}
{#- The daily snapshot's corr_20d_<peer> columns are fct_cross_asset's corr_20d, day by day. -#}
{%- set peers = ['IGV', 'GLD', 'QQQ'] -%}
select snapshot.trade_date, cross_asset.peer
from {{ ref('fct_daily_snapshot_4pm_et') }} as snapshot
inner join {{ ref('fct_cross_asset') }} as cross_asset on snapshot.trade_date = cross_asset.trade_date
where
    {%- for peer in peers %}
    (cross_asset.peer = '{{ peer }}' and not (snapshot.corr_20d_{{ peer | lower }} is not distinct from cross_asset.corr_20d)){% if not loop.last %} or{% endif %}
    {%- endfor %}
