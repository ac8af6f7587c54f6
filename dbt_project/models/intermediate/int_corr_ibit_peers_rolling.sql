{#-
  Rolling Pearson correlation of IBIT's and each peer's daily close-to-close simple returns, one row
  per NYSE trading day (from IBIT's first to last bar) and peer (var cross_asset_peers). Windows run
  over trading days, ending on and including trade_date; a window needs every pair present (20 of 20,
  60 of 60) or the correlation is null.
-#}

{%- set peers = var('cross_asset_peers') -%}

with trading_days as (
    select * from {{ ref('int_trading_days') }}
),

returns as (
    select * from {{ ref('int_returns_daily_close_to_close') }}
),

ibit as (
    select * from returns where symbol = 'IBIT'
),

peers as (
    {%- for peer in peers %}
    select '{{ peer }}' as peer{% if not loop.last %} union all{% endif %}
    {%- endfor %}
),

spine as (
    select trading_days.trade_date, peers.peer
    from trading_days
    cross join peers
    where trading_days.trade_date between (select min(trade_date) from ibit) and (select max(trade_date) from ibit)
),

paired as (
    select
        spine.trade_date,
        spine.peer,
        ibit.simple_return as ibit_return,
        peer_returns.simple_return as peer_return,
        -- each return only where both are present: the windows' counts and variances are over pairs
        case when peer_returns.simple_return is not null then ibit.simple_return end as paired_ibit_return,
        case when ibit.simple_return is not null then peer_returns.simple_return end as paired_peer_return,
        -- lineage of every raw bar behind the day's returns (both closes of both symbols)
        case when ibit.data_mode in ('simulated', 'mixed') or ibit.previous_data_mode in ('simulated', 'mixed')
                  or peer_returns.data_mode in ('simulated', 'mixed') or peer_returns.previous_data_mode in ('simulated', 'mixed')
             then 1 else 0 end as has_simulated,
        case when ibit.data_mode in ('real', 'live', 'mixed') or ibit.previous_data_mode in ('real', 'live', 'mixed')
                  or peer_returns.data_mode in ('real', 'live', 'mixed') or peer_returns.previous_data_mode in ('real', 'live', 'mixed')
             then 1 else 0 end as has_real
    from spine
    left join ibit on spine.trade_date = ibit.trade_date
    left join returns as peer_returns on peer_returns.symbol = spine.peer and peer_returns.trade_date = spine.trade_date
),

windowed as (
    select
        *,
        count(paired_ibit_return) over last_20 as pairs_20d,
        var_pop(paired_ibit_return) over last_20 as ibit_var_20d,
        var_pop(paired_peer_return) over last_20 as peer_var_20d,
        corr(peer_return, ibit_return) over last_20 as raw_corr_20d,
        count(paired_ibit_return) over last_60 as pairs_60d,
        var_pop(paired_ibit_return) over last_60 as ibit_var_60d,
        var_pop(paired_peer_return) over last_60 as peer_var_60d,
        corr(peer_return, ibit_return) over last_60 as raw_corr_60d,
        max(has_simulated) over last_60 as window_has_simulated,
        max(has_real) over last_60 as window_has_real
    from paired
    window
        last_20 as (partition by peer order by trade_date rows between 19 preceding and current row),
        last_60 as (partition by peer order by trade_date rows between 59 preceding and current row)
),

final as (
    select
        trade_date,
        peer,
        ibit_return,
        peer_return,
        -- a flat series has no correlation: null, not NaN
        case when pairs_20d = 20 and ibit_var_20d > 0 and peer_var_20d > 0 then raw_corr_20d end as corr_20d,
        case when pairs_60d = 60 and ibit_var_60d > 0 and peer_var_60d > 0 then raw_corr_60d end as corr_60d,
        pairs_20d,
        pairs_60d,
        case
            when window_has_simulated = 1 and window_has_real = 1 then 'mixed'
            when window_has_simulated = 1 then 'simulated'
            when window_has_real = 1 then 'real'
        end as data_mode
    from windowed
)

select * from final
