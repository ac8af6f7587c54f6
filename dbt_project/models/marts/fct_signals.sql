{#-
  One row per trading day of fct_daily_snapshot_4pm_et; one boolean per rule plus the numbers it read.
  Rules and thresholds (vars in dbt_project.yml) are documented in _marts__signals.yml.
  A rule whose inputs are missing is null (unknown), not false.
-#}

{%- set inflow_min_usd = var('signal_inflow_min_usd') -%}
{%- set basis_change_max = var('signal_basis_change_max') -%}
{%- set oi_collapse_max = var('signal_oi_collapse_max_change') -%}
{%- set oi_flat_min = var('signal_oi_flat_min_change') -%}
{%- set corr_min_abs_z = var('signal_corr_regime_min_abs_z') -%}
{%- set corr_peers = var('signal_corr_regime_peers') -%}

with snapshot as (
    select * from {{ ref('fct_daily_snapshot_4pm_et') }}
),

-- the 20-day correlation ending today against the 60 trading days before that window: the 60-day
-- correlation of 20 trading days ago (int_corr_ibit_peers_rolling has a row for every trading day)
peer_corr as (
    select
        trade_date,
        peer,
        corr_20d,
        lag(corr_60d, 20) over (partition by peer order by trade_date) as corr_60d_before
    from {{ ref('int_corr_ibit_peers_rolling') }}
),

peer_corr_wide as (
    select
        trade_date,
        {%- for peer in corr_peers %}
        max(case when peer = '{{ peer }}' then corr_20d end) as corr_20d_{{ peer | lower }},
        max(case when peer = '{{ peer }}' then corr_60d_before end) as corr_60d_before_{{ peer | lower }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from peer_corr
    group by trade_date
),

changes as (
    select
        snapshot.trade_date,
        snapshot.total_etf_flow_usd,
        snapshot.cme_front_contract,
        snapshot.cme_front_basis_annualized,
        snapshot.cme_front_contract <> lag(snapshot.cme_front_contract) over by_day as cme_front_contract_rolled,
        -- the same contract on both days, or the change compares two contracts: null on roll days
        case when snapshot.cme_front_contract = lag(snapshot.cme_front_contract) over by_day
            then snapshot.cme_front_basis_annualized - lag(snapshot.cme_front_basis_annualized) over by_day
        end as cme_front_basis_change,
        -- open interest in BTC on both venues: a price move alone changes neither
        snapshot.binance_open_interest_btc,
        snapshot.cme_open_interest_btc,
        snapshot.binance_open_interest_btc / nullif(lag(snapshot.binance_open_interest_btc, 1) over by_day, 0) - 1
            as binance_oi_change_1d,
        snapshot.cme_open_interest_btc / nullif(lag(snapshot.cme_open_interest_btc, 1) over by_day, 0) - 1
            as cme_oi_change_1d,
        snapshot.binance_open_interest_btc / nullif(lag(snapshot.binance_open_interest_btc, 2) over by_day, 0) - 1
            as binance_oi_change_2d,
        snapshot.cme_open_interest_btc / nullif(lag(snapshot.cme_open_interest_btc, 2) over by_day, 0) - 1
            as cme_oi_change_2d,
        snapshot.ibit_dollar_volume,
        max(snapshot.ibit_dollar_volume) over (
            order by snapshot.trade_date rows between unbounded preceding and 1 preceding
        ) as previous_record_ibit_dollar_volume,
        count(snapshot.ibit_dollar_volume) over (
            order by snapshot.trade_date rows between unbounded preceding and 1 preceding
        ) as earlier_ibit_dollar_volume_days,
        snapshot.ibit_flow_usd,
        snapshot.data_mode
    from snapshot
    window by_day as (order by snapshot.trade_date)
),

evaluated as (
    select
        changes.*,
        {%- for peer in corr_peers %}
        peer_corr_wide.corr_20d_{{ peer | lower }},
        peer_corr_wide.corr_60d_before_{{ peer | lower }},
        {{ correlation_change_z('peer_corr_wide.corr_20d_' ~ peer | lower, 20, 'peer_corr_wide.corr_60d_before_' ~ peer | lower, 60) }}
            as corr_change_z_{{ peer | lower }},
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
        cme_front_contract,
        cme_front_basis_annualized,
        cme_front_basis_change,
        cme_front_contract_rolled,

        binance_oi_collapse or cme_oi_collapse as oi_collapse_one_venue,
        case
            when binance_oi_collapse and cme_oi_collapse then 'Binance,CME'
            when binance_oi_collapse then 'Binance'
            when cme_oi_collapse then 'CME'
        end as oi_collapse_venue,
        binance_open_interest_btc,
        cme_open_interest_btc,
        binance_oi_change_1d,
        cme_oi_change_1d,
        binance_oi_change_2d,
        cme_oi_change_2d,

        is_record_ibit_dollar_volume and ibit_flow_usd > 0 as record_volume_with_net_creation,
        ibit_dollar_volume,
        previous_record_ibit_dollar_volume,
        is_record_ibit_dollar_volume,
        ibit_flow_usd,

        {% for peer in corr_peers -%}
        abs(corr_change_z_{{ peer | lower }}) >= {{ corr_min_abs_z }}{% if not loop.last %} or {% endif %}
        {%- endfor %} as correlation_regime_shift,
        nullif(concat_ws(',',
            {%- for peer in corr_peers %}
            case when abs(corr_change_z_{{ peer | lower }}) >= {{ corr_min_abs_z }} then '{{ peer }}' end{% if not loop.last %},{% endif %}
            {%- endfor %}
        ), '') as correlation_regime_shift_peers,
        {%- for peer in corr_peers %}
        corr_20d_{{ peer | lower }},
        corr_60d_before_{{ peer | lower }},
        corr_change_z_{{ peer | lower }},
        {%- endfor %}

        data_mode
    from evaluated
)

select * from final
