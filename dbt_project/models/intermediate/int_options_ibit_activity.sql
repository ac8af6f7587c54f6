{%- set window_days = var('options_volume_z_window_days') -%}
{%- set min_prior_days = var('options_volume_z_min_prior_days') -%}

with ibit_options as (
    select * from {{ ref('int_ibit_options_volume') }}
    where is_trading_day
),

totals as (
    select
        trade_date,
        ibit_put_contracts,
        ibit_call_contracts,
        -- one side missing -> the total is unknown, not the other side alone
        ibit_put_contracts + ibit_call_contracts as total_contracts,
        ibit_put_contracts / nullif(ibit_call_contracts, 0) as put_call_ratio,
        data_mode
    from ibit_options
),

-- windows run over the days with IBIT options data (the rows of this model), oldest first
windowed as (
    select
        *,
        max(total_contracts) over earlier_days as previous_record_total_contracts,
        max(ibit_put_contracts) over earlier_days as previous_record_put_contracts,
        count(*) over earlier_days as earlier_days,
        avg(total_contracts) over prior_window as total_contracts_prior_mean,
        stddev_samp(total_contracts) over prior_window as total_contracts_prior_sd,
        count(total_contracts) over prior_window as volume_z_prior_days
    from totals
    window
        earlier_days as (order by trade_date rows between unbounded preceding and 1 preceding),
        prior_window as (order by trade_date rows between {{ window_days }} preceding and 1 preceding)
),

final as (
    select
        trade_date,
        ibit_put_contracts,
        ibit_call_contracts,
        total_contracts,
        put_call_ratio,
        -- the first day has nothing to beat: null, not a record
        case when earlier_days > 0 and total_contracts is not null
            then total_contracts > coalesce(previous_record_total_contracts, -1) end as is_record_total,
        case when earlier_days > 0 and ibit_put_contracts is not null
            then ibit_put_contracts > coalesce(previous_record_put_contracts, -1) end as is_record_puts,
        previous_record_total_contracts,
        previous_record_put_contracts,
        case when volume_z_prior_days >= {{ min_prior_days }} and total_contracts_prior_sd > 0
            then (total_contracts - total_contracts_prior_mean) / total_contracts_prior_sd end as volume_z_60d,
        volume_z_prior_days,
        data_mode
    from windowed
)

select * from final
