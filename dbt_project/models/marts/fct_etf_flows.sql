{%- set creation_unit_shares = var('flows_creation_unit_shares', 50000) -%}
{%- set model_lookback = var('flows_model_lookback_trading_days', 250) -%}
{%- set model_min_obs = var('flows_model_min_observations', 60) -%}

with trading_days as (
    select
        trade_date,
        previous_trade_date,
        row_number() over (order by trade_date) as trading_day_number
    from {{ ref('int_trading_days') }}
),

-- one tracker figure per fund and day (int_etf_flows_per_fund, as the daily snapshot's total)
tracker_flows as (
    select
        trade_date,
        ticker,
        flow_usd,
        reported_date,
        flow_source,
        is_reporting,
        data_mode as flow_data_mode
    from {{ ref('int_etf_flows_per_fund') }}
),

flow_totals as (
    select * from {{ ref('int_etf_flows_by_trade_date') }}
),

fund_daily as (
    select
        trade_date,
        ticker,
        shares_outstanding,
        nav_usd_per_share,
        btc_held,
        data_mode as fund_data_mode
    from {{ ref('stg_raw__etf_fund_daily') }}
),

-- close-to-close returns between consecutive NYSE trading days (null when either close is missing)
bars as (
    select
        bars.trade_date,
        bars.symbol,
        bars.close_price,
        bars.dollar_volume,
        bars.data_mode,
        trading_days.previous_trade_date
    from {{ ref('int_daily_bars_one_per_symbol') }} as bars
    inner join trading_days on bars.trade_date = trading_days.trade_date
),

bar_returns as (
    select
        bars.trade_date,
        bars.symbol,
        bars.dollar_volume,
        bars.close_price / nullif(previous_bars.close_price, 0) - 1 as fund_return,
        bars.data_mode as bar_data_mode
    from bars
    left join bars as previous_bars
        on bars.symbol = previous_bars.symbol
       and bars.previous_trade_date = previous_bars.trade_date
),

-- fund rows: a tracker flow or fund data on an NYSE trading day (holiday-dated reports stay out)
fund_days as (
    select trade_date, ticker from tracker_flows
    union
    select trade_date, ticker from fund_daily
),

joined as (
    select
        fund_days.trade_date,
        fund_days.ticker,
        trading_days.trading_day_number,
        tracker_flows.flow_usd,
        tracker_flows.reported_date,
        tracker_flows.flow_source,
        coalesce(tracker_flows.is_reporting, false) as is_reporting,
        fund_daily.shares_outstanding,
        fund_daily.nav_usd_per_share,
        fund_daily.btc_held,
        fund_daily.shares_outstanding - previous_fund_daily.shares_outstanding as shares_created,
        today_bar.fund_return,
        previous_bar.fund_return as fund_return_previous_day,
        today_bar.dollar_volume as dollar_volume_usd,
        tracker_flows.flow_data_mode,
        fund_daily.fund_data_mode,
        previous_fund_daily.fund_data_mode as previous_fund_data_mode,
        today_bar.bar_data_mode
    from fund_days
    inner join trading_days on fund_days.trade_date = trading_days.trade_date
    left join tracker_flows
        on fund_days.trade_date = tracker_flows.trade_date and fund_days.ticker = tracker_flows.ticker
    left join fund_daily
        on fund_days.trade_date = fund_daily.trade_date and fund_days.ticker = fund_daily.ticker
    left join fund_daily as previous_fund_daily
        on trading_days.previous_trade_date = previous_fund_daily.trade_date
       and fund_days.ticker = previous_fund_daily.ticker
    left join bar_returns as today_bar
        on fund_days.trade_date = today_bar.trade_date and fund_days.ticker = today_bar.symbol
    left join bar_returns as previous_bar
        on trading_days.previous_trade_date = previous_bar.trade_date and fund_days.ticker = previous_bar.symbol
),

-- the flow model's inputs, null unless all three are present so every moment uses the same days
model_inputs as (
    select
        *,
        case when flow_usd is not null and fund_return is not null and fund_return_previous_day is not null
             then flow_usd end as model_y,
        case when flow_usd is not null and fund_return is not null and fund_return_previous_day is not null
             then fund_return end as model_x1,
        case when flow_usd is not null and fund_return is not null and fund_return_previous_day is not null
             then fund_return_previous_day end as model_x2
    from joined
),

model_moments as (
    select
        *,
        {{ flows_rolling_ols_moments(
            'model_y', 'model_x1', 'model_x2',
            'partition by ticker order by trading_day_number range between '
                ~ model_lookback ~ ' preceding and 1 preceding',
            prefix='ols') }}
    from model_inputs
),

model_fit as (
    select
        *,
        case when ols_n_obs >= {{ model_min_obs }} then {{ flows_ols_intercept('ols') }} end as model_intercept_usd,
        case when ols_n_obs >= {{ model_min_obs }} then {{ flows_ols_slope_1('ols') }} end as model_usd_per_return,
        case when ols_n_obs >= {{ model_min_obs }} then {{ flows_ols_slope_2('ols') }} end as model_usd_per_previous_day_return
    from model_moments
),

model_prediction as (
    select
        *,
        model_intercept_usd + model_usd_per_return * fund_return
            + model_usd_per_previous_day_return * fund_return_previous_day as expected_flow_usd
    from model_fit
),

funds as (
    select
        trade_date,
        ticker,
        flow_usd,
        reported_date,
        flow_source,
        shares_outstanding,
        shares_created,
        nav_usd_per_share,
        btc_held,
        -- etf.com convention: creations in shares valued at the day's NAV
        shares_created * nav_usd_per_share as flow_from_shares_usd,
        flow_usd - shares_created * nav_usd_per_share as flow_gap_usd,
        {{ creation_unit_shares }} * nav_usd_per_share as creation_unit_usd,
        abs(flow_usd - shares_created * nav_usd_per_share) > {{ creation_unit_shares }} * nav_usd_per_share
            as flow_gap_exceeds_creation_unit,
        fund_return,
        fund_return_previous_day,
        dollar_volume_usd,
        expected_flow_usd,
        model_intercept_usd,
        model_usd_per_return,
        model_usd_per_previous_day_return,
        ols_n_obs as model_observations,
        cast(case when is_reporting then 1 else 0 end as bigint) as funds_reporting,
        cast(case when flow_usd is not null and expected_flow_usd is not null then 1 else 0 end as bigint)
            as funds_modelled,
        cast(case when flow_usd is not null and shares_created is not null and nav_usd_per_share is not null
            then 1 else 0 end as bigint) as funds_with_share_data,
        {{ combine_data_modes(['flow_data_mode', 'fund_data_mode', 'previous_fund_data_mode', 'bar_data_mode']) }}
            as data_mode
    from model_prediction
),

funds_with_surprise as (
    select
        *,
        flow_usd - expected_flow_usd as flow_surprise_usd,
        cast(null as double) as modelled_flow_usd,
        cast(null as double) as modelled_share_of_gross_flow
    from funds
),

-- ALL: the day's total from int_etf_flows_by_trade_date (the snapshot's figure); the share-count
-- flows over the funds with share data, the expected flow over the funds with a flow model
all_funds as (
    select
        funds.trade_date,
        'ALL' as ticker,
        max(flow_totals.total_etf_flow_usd) as flow_usd,
        max(flow_totals.reported_date) as reported_date,
        cast(null as {{ dbt.type_string() }}) as flow_source,
        cast(null as double) as shares_outstanding,
        cast(null as double) as shares_created,
        cast(null as double) as nav_usd_per_share,
        cast(null as double) as btc_held,
        sum(case when funds_with_share_data = 1 then flow_from_shares_usd end) as flow_from_shares_usd,
        sum(case when funds_with_share_data = 1 then flow_gap_usd end) as flow_gap_usd,
        cast(null as double) as creation_unit_usd,
        cast(null as boolean) as flow_gap_exceeds_creation_unit,
        cast(null as double) as fund_return,
        cast(null as double) as fund_return_previous_day,
        cast(null as double) as dollar_volume_usd,
        sum(case when funds_modelled = 1 then expected_flow_usd end) as expected_flow_usd,
        sum(case when funds_modelled = 1 then flow_surprise_usd end) as flow_surprise_usd,
        sum(case when funds_modelled = 1 then flow_usd end) as modelled_flow_usd,
        sum(case when funds_modelled = 1 then abs(flow_usd) end)
            / nullif(sum(abs(flow_usd)), 0) as modelled_share_of_gross_flow,
        cast(null as double) as model_intercept_usd,
        cast(null as double) as model_usd_per_return,
        cast(null as double) as model_usd_per_previous_day_return,
        cast(null as bigint) as model_observations,
        cast(coalesce(max(flow_totals.funds_reporting), 0) as bigint) as funds_reporting,
        cast(sum(funds_modelled) as bigint) as funds_modelled,
        cast(sum(funds_with_share_data) as bigint) as funds_with_share_data,
        {{ aggregate_data_mode('funds.data_mode') }} as data_mode
    from funds_with_surprise as funds
    left join flow_totals on funds.trade_date = flow_totals.trade_date
    group by funds.trade_date
),

{%- set columns = [
    'trade_date', 'ticker', 'flow_usd', 'reported_date', 'flow_source',
    'shares_outstanding', 'shares_created', 'nav_usd_per_share', 'btc_held',
    'flow_from_shares_usd', 'flow_gap_usd', 'creation_unit_usd', 'flow_gap_exceeds_creation_unit',
    'fund_return', 'fund_return_previous_day', 'dollar_volume_usd',
    'expected_flow_usd', 'flow_surprise_usd', 'modelled_flow_usd', 'modelled_share_of_gross_flow',
    'model_intercept_usd', 'model_usd_per_return', 'model_usd_per_previous_day_return', 'model_observations',
    'funds_reporting', 'funds_modelled', 'funds_with_share_data', 'data_mode',
] %}

final as (
    select {{ columns | join(', ') }} from funds_with_surprise
    union all
    select {{ columns | join(', ') }} from all_funds
)

select * from final
