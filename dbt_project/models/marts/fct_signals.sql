{#-
  One row per trading day of fct_daily_snapshot_4pm_et; one boolean per rule plus the numbers it read.
  Rules and thresholds (vars in dbt_project.yml) are documented in _marts__options_gamma_signals.yml.
  A rule whose inputs are missing is null (unknown), not false.
-#}

{%- set inflow_min_usd = var('signal_inflow_min_usd') -%}
{%- set basis_change_max = var('signal_basis_change_max') -%}
{%- set oi_collapse_max = var('signal_oi_collapse_max_change') -%}
{%- set oi_flat_min = var('signal_oi_flat_min_change') -%}
{%- set corr_min_change = var('signal_corr_regime_min_abs_change') -%}
{%- set corr_peers = var('signal_corr_regime_peers') -%}

with snapshot as (
    select * from {{ ref('fct_daily_snapshot_4pm_et') }}
),

peer_corr as (
    select
        trade_date,
        peer,
        corr_20d,
        lag(corr_20d, 20) over (partition by peer order by trade_date) as corr_20d_20_trading_days_ago
    from {{ ref('int_corr_ibit_peers_rolling') }}
),

peer_corr_wide as (
    select
        trade_date,
        {%- for peer in corr_peers %}
        max(case when peer = '{{ peer }}' then corr_20d end) as corr_20d_{{ peer | lower }},
        max(case when peer = '{{ peer }}' then corr_20d_20_trading_days_ago end) as corr_20d_{{ peer | lower }}_20d_ago{% if not loop.last %},{% endif %}
        {%- endfor %}
    from peer_corr
    group by trade_date
),

changes as (
    select
        snapshot.trade_date,
        snapshot.total_etf_flow_usd,
        snapshot.cme_front_basis_annualized,
        snapshot.cme_front_basis_annualized
            - lag(snapshot.cme_front_basis_annualized) over by_day as cme_front_basis_change,
        snapshot.cme_front_contract <> lag(snapshot.cme_front_contract) over by_day as cme_front_contract_rolled,
        snapshot.binance_open_interest_usd,
        snapshot.cme_open_interest,
        snapshot.binance_open_interest_usd / nullif(lag(snapshot.binance_open_interest_usd, 1) over by_day, 0) - 1
            as binance_oi_change_1d,
        snapshot.cme_open_interest / nullif(lag(snapshot.cme_open_interest, 1) over by_day, 0) - 1
            as cme_oi_change_1d,
        snapshot.binance_open_interest_usd / nullif(lag(snapshot.binance_open_interest_usd, 2) over by_day, 0) - 1
            as binance_oi_change_2d,
        snapshot.cme_open_interest / nullif(lag(snapshot.cme_open_interest, 2) over by_day, 0) - 1
            as cme_oi_change_2d,
        snapshot.ibit_dollar_volume,
        max(snapshot.ibit_dollar_volume) over (
            order by snapshot.trade_date rows between unbounded preceding and 1 preceding
        ) as previous_record_ibit_dollar_volume,
        count(snapshot.ibit_dollar_volume) over (
            order by snapshot.trade_date rows between unbounded preceding and 1 preceding
        ) as earlier_ibit_dollar_volume_days,
        snapshot.ibit_flow_usd,
        lead(snapshot.ibit_flow_usd) over by_day as ibit_flow_usd_next_day,
        snapshot.data_mode
    from snapshot
    window by_day as (order by snapshot.trade_date)
),

evaluated as (
    select
        changes.*,
        {%- for peer in corr_peers %}
        peer_corr_wide.corr_20d_{{ peer | lower }},
        peer_corr_wide.corr_20d_{{ peer | lower }}_20d_ago,
        abs(peer_corr_wide.corr_20d_{{ peer | lower }} - peer_corr_wide.corr_20d_{{ peer | lower }}_20d_ago)
            >= {{ corr_min_change }} as corr_shift_{{ peer | lower }},
        {%- endfor %}
        (binance_oi_change_1d <= {{ oi_collapse_max }} and cme_oi_change_1d >= {{ oi_flat_min }})
            or (binance_oi_change_2d <= {{ oi_collapse_max }} and cme_oi_change_2d >= {{ oi_flat_min }})
            as binance_oi_collapse,
        (cme_oi_change_1d <= {{ oi_collapse_max }} and binance_oi_change_1d >= {{ oi_flat_min }})
            or (cme_oi_change_2d <= {{ oi_collapse_max }} and binance_oi_change_2d >= {{ oi_flat_min }})
            as cme_oi_collapse,
        case when earlier_ibit_dollar_volume_days > 0 and ibit_dollar_volume is not null
            then ibit_dollar_volume > previous_record_ibit_dollar_volume end as is_record_ibit_dollar_volume
    from changes
    left join peer_corr_wide on changes.trade_date = peer_corr_wide.trade_date
),

final as (
    select
        trade_date,

        total_etf_flow_usd > {{ inflow_min_usd }} and cme_front_basis_change <= {{ basis_change_max }}
            as inflow_without_basis_expansion,
        total_etf_flow_usd,
        cme_front_basis_annualized,
        cme_front_basis_change,
        cme_front_contract_rolled,

        binance_oi_collapse or cme_oi_collapse as oi_collapse_one_venue,
        case
            when binance_oi_collapse and cme_oi_collapse then 'Binance,CME'
            when binance_oi_collapse then 'Binance'
            when cme_oi_collapse then 'CME'
        end as oi_collapse_venue,
        binance_open_interest_usd,
        cme_open_interest,
        binance_oi_change_1d,
        cme_oi_change_1d,
        binance_oi_change_2d,
        cme_oi_change_2d,

        is_record_ibit_dollar_volume and (ibit_flow_usd > 0 or ibit_flow_usd_next_day > 0)
            as record_volume_with_net_creation,
        ibit_dollar_volume,
        previous_record_ibit_dollar_volume,
        is_record_ibit_dollar_volume,
        ibit_flow_usd,
        ibit_flow_usd_next_day,

        {% for peer in corr_peers -%}
        corr_shift_{{ peer | lower }}{% if not loop.last %} or {% endif %}
        {%- endfor %} as correlation_regime_shift,
        nullif(concat_ws(',',
            {%- for peer in corr_peers %}
            case when corr_shift_{{ peer | lower }} then '{{ peer }}' end{% if not loop.last %},{% endif %}
            {%- endfor %}
        ), '') as correlation_regime_shift_peers,
        {%- for peer in corr_peers %}
        corr_20d_{{ peer | lower }},
        corr_20d_{{ peer | lower }}_20d_ago,
        {%- endfor %}

        data_mode
    from evaluated
)

select * from final
