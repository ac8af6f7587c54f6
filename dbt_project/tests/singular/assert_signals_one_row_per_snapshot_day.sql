-- Attached to fct_signals as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_signals'}}}) }}
{#- fct_signals has exactly the daily snapshot's trading days, and a fired rule shows its evidence. -#}
select coalesce(signals.trade_date, snapshot.trade_date) as trade_date
from {{ ref('fct_signals') }} as signals
full outer join {{ ref('fct_daily_snapshot_4pm_et') }} as snapshot on signals.trade_date = snapshot.trade_date
where signals.trade_date is null
   or snapshot.trade_date is null
   or (signals.inflow_without_basis_expansion and (signals.total_etf_flow_usd is null or signals.cme_front_basis_change is null))
   or (signals.oi_collapse_one_venue and signals.oi_collapse_venue is null)
   or (signals.record_volume_with_net_creation and not signals.is_record_ibit_dollar_volume)
   or (signals.correlation_regime_shift and signals.correlation_regime_shift_peers is null)
