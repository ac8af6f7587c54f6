{%- set snapshot_corr_peers = ['IGV', 'GLD', 'QQQ'] -%}

with trading_days as (
    select * from {{ ref('int_trading_days') }}
),

btc_usd as (
    select * from {{ ref('int_btc_usd_at_4pm') }}
),

ibit_bars as (
    select * from {{ ref('int_daily_bars_one_per_symbol') }}
    where symbol = 'IBIT' and is_trading_day
),

etf_flows as (
    select * from {{ ref('int_etf_flows_by_trade_date') }}
    where is_trading_day
),

ibit_options as (
    select * from {{ ref('int_ibit_options_volume') }}
    where is_trading_day
),

cme_front as (
    select * from {{ ref('int_cme_front') }}
),

cme_open_interest as (
    select * from {{ ref('int_cme_open_interest') }}
    where is_trading_day
),

binance_oi as (
    select * from {{ ref('int_binance_oi_at_4pm') }}
),

binance_funding as (
    select * from {{ ref('int_binance_funding_at_4pm') }}
),

ibit_options_activity as (
    select * from {{ ref('int_options_ibit_activity') }}
),

-- IBIT's 20-day return correlation with a few peers, one column each
ibit_peer_corr as (
    select
        trade_date,
        {%- for peer in snapshot_corr_peers %}
        max(case when peer = '{{ peer }}' then corr_20d end) as corr_20d_{{ peer | lower }},
        {%- endfor %}
        {{ combine_data_modes(["max(case when peer in ('" ~ snapshot_corr_peers | join("', '") ~ "') then data_mode end)", "min(case when peer in ('" ~ snapshot_corr_peers | join("', '") ~ "') then data_mode end)"]) }} as data_mode
    from {{ ref('int_corr_ibit_peers_rolling') }}
    group by trade_date
),

-- DVOL's daily close is the close of the UTC day: observed at the next UTC midnight, 3 to 4 hours
-- after 4 pm New York
dvol as (
    select
        *,
        cast({{ dbt.dateadd('day', 1, 'trade_date') }} as timestamp) as dvol_observed_at_utc
    from {{ ref('stg_raw__vol_index_daily') }}
    where index_name = '{{ var("dvol_index_name") }}' and is_trading_day
),

dates_with_data as (
    select trade_date from btc_usd
    union select trade_date from ibit_bars
    union select trade_date from etf_flows
    union select trade_date from ibit_options
    union select trade_date from cme_front
    union select trade_date from cme_open_interest
    union select trade_date from binance_oi
    union select trade_date from dvol
),

covered_trading_days as (
    select trade_date, snapshot_utc, nyse_close_utc, is_early_close
    from trading_days
    where trade_date between (select min(trade_date) from dates_with_data)
                         and (select max(trade_date) from dates_with_data)
),

joined as (
    select
        covered_trading_days.trade_date,
        covered_trading_days.snapshot_utc,
        covered_trading_days.is_early_close as is_nyse_early_close,
        covered_trading_days.nyse_close_utc,

        btc_usd.btc_usd_4pm,
        btc_usd.btc_usd_4pm_age_minutes,
        btc_usd.btc_usd_4pm_is_stale,
        btc_usd.btc_usd_nyse_close,
        btc_usd.btc_usd_nyse_close_age_minutes,

        ibit_bars.close_price as ibit_close,
        ibit_bars.volume as ibit_volume_shares,
        ibit_bars.dollar_volume as ibit_dollar_volume,

        etf_flows.ibit_flow_usd,
        etf_flows.total_etf_flow_usd,
        etf_flows.funds_reporting as etf_funds_reporting,

        ibit_options.ibit_put_contracts,
        ibit_options.ibit_call_contracts,

        cme_front.cme_front_contract,
        cme_front.cme_front_expiry_date,
        cme_front.cme_front_settle,
        cme_front.cme_front_days_to_expiry,
        cme_front.cme_front_is_rolled_series,
        cme_front.cme_front_is_null_short_dated,
        cme_front.cme_front_basis_annualized,

        cme_open_interest.cme_open_interest_contracts as cme_open_interest,
        cme_open_interest.cme_open_interest_btc,

        -- a venue reporting one unit only is converted at BTC-USD at 4 pm (as fct_open_interest_4pm_et)
        coalesce(binance_oi.binance_open_interest_usd, binance_oi.binance_open_interest_btc * btc_usd.btc_usd_4pm)
            as binance_open_interest_usd,
        coalesce(binance_oi.binance_open_interest_btc, binance_oi.binance_open_interest_usd / btc_usd.btc_usd_4pm)
            as binance_open_interest_btc,
        binance_oi.binance_open_interest_age_minutes,

        binance_funding.binance_funding_rate,
        binance_funding.binance_funding_observed_at_utc,
        binance_funding.binance_funding_age_minutes,
        binance_funding.binance_funding_rate_24h_sum,

        dvol.close_vol_points as dvol,
        dvol.dvol_observed_at_utc,

        ibit_options_activity.put_call_ratio as ibit_put_call_ratio,
        {%- for peer in snapshot_corr_peers %}
        ibit_peer_corr.corr_20d_{{ peer | lower }},
        {%- endfor %}

        btc_usd.data_mode as btc_usd_data_mode,
        ibit_bars.data_mode as ibit_bars_data_mode,
        etf_flows.data_mode as etf_flows_data_mode,
        ibit_options.data_mode as ibit_options_data_mode,
        cme_front.data_mode as cme_front_data_mode,
        cme_open_interest.data_mode as cme_open_interest_data_mode,
        binance_oi.data_mode as binance_oi_data_mode,
        binance_funding.data_mode as binance_funding_data_mode,
        dvol.data_mode as dvol_data_mode,
        ibit_peer_corr.data_mode as ibit_peer_corr_data_mode
    from covered_trading_days
    left join btc_usd on covered_trading_days.trade_date = btc_usd.trade_date
    left join ibit_bars on covered_trading_days.trade_date = ibit_bars.trade_date
    left join etf_flows on covered_trading_days.trade_date = etf_flows.trade_date
    left join ibit_options on covered_trading_days.trade_date = ibit_options.trade_date
    left join cme_front on covered_trading_days.trade_date = cme_front.trade_date
    left join cme_open_interest on covered_trading_days.trade_date = cme_open_interest.trade_date
    left join binance_oi on covered_trading_days.trade_date = binance_oi.trade_date
    left join binance_funding on covered_trading_days.trade_date = binance_funding.trade_date
    left join dvol on covered_trading_days.trade_date = dvol.trade_date
    left join ibit_options_activity on covered_trading_days.trade_date = ibit_options_activity.trade_date
    left join ibit_peer_corr on covered_trading_days.trade_date = ibit_peer_corr.trade_date
),

daily as (
    select
        *,
        coalesce(btc_usd_4pm_is_stale, btc_usd_4pm is null) as btc_usd_4pm_is_stale_or_missing,
        btc_usd_4pm / lag(btc_usd_4pm) over (order by trade_date) - 1 as btc_return,
        btc_usd_nyse_close / lag(btc_usd_nyse_close) over (order by trade_date) - 1 as btc_return_nyse_close,
        ibit_close / lag(ibit_close) over (order by trade_date) - 1 as ibit_return,
        {{ dbt.datediff('dvol_observed_at_utc', 'snapshot_utc', 'minute') }} as dvol_age_minutes,
        {{ combine_data_modes([
            'btc_usd_data_mode', 'ibit_bars_data_mode', 'etf_flows_data_mode', 'ibit_options_data_mode',
            'cme_front_data_mode', 'cme_open_interest_data_mode', 'binance_oi_data_mode',
            'binance_funding_data_mode', 'dvol_data_mode', 'ibit_peer_corr_data_mode',
        ]) }} as data_mode
    from joined
),

-- today's IBIT return against the 60 trading days before it (all 60 returns present, or null)
ibit_return_window as (
    select
        *,
        avg(ibit_return) over prior_60 as ibit_return_prior_60d_mean,
        stddev_samp(ibit_return) over prior_60 as ibit_return_prior_60d_sd,
        count(ibit_return) over prior_60 as ibit_return_prior_60d_count
    from daily
    window prior_60 as (order by trade_date rows between 60 preceding and 1 preceding)
),

ibit_return_z as (
    select
        *,
        case when ibit_return_prior_60d_count = 60 and ibit_return_prior_60d_sd > 0
            then (ibit_return - ibit_return_prior_60d_mean) / ibit_return_prior_60d_sd end as ibit_return_z_60d
    from ibit_return_window
),

final as (
    select
        trade_date,
        snapshot_utc,
        is_nyse_early_close,
        nyse_close_utc,
        btc_usd_4pm,
        btc_usd_4pm_age_minutes,
        btc_usd_4pm_is_stale_or_missing as btc_usd_4pm_is_stale,
        btc_return,
        btc_usd_nyse_close,
        btc_usd_nyse_close_age_minutes,
        btc_return_nyse_close,
        ibit_close,
        ibit_return,
        ibit_return_z_60d,
        {{ normal_two_sided_tail_prob('ibit_return_z_60d') }} as ibit_return_z_60d_tail_prob,
        ibit_volume_shares,
        ibit_dollar_volume,
        ibit_flow_usd,
        total_etf_flow_usd,
        etf_funds_reporting,
        ibit_put_contracts,
        ibit_call_contracts,
        ibit_put_call_ratio,
        cme_front_contract,
        cme_front_expiry_date,
        cme_front_settle,
        cme_front_days_to_expiry,
        cme_front_is_rolled_series,
        cme_front_is_null_short_dated,
        cme_front_basis_annualized,
        cme_open_interest,
        cme_open_interest_btc,
        case when cme_open_interest_btc is not null then true end as cme_open_interest_is_end_of_day,
        binance_open_interest_usd,
        binance_open_interest_btc,
        binance_open_interest_age_minutes,
        binance_funding_rate,
        binance_funding_observed_at_utc,
        binance_funding_age_minutes,
        binance_funding_rate_24h_sum,
        dvol,
        dvol_observed_at_utc,
        dvol_age_minutes,
        {%- for peer in snapshot_corr_peers %}
        corr_20d_{{ peer | lower }},
        {%- endfor %}
        data_mode
    from ibit_return_z
)

select * from final
