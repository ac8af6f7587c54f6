{%- set max_age_minutes = var('asof_max_age_minutes') -%}
{%- set cme_max_carry_trading_days = var('oi_cme_max_carry_trading_days', 2) -%}
{#- hourly (or finer) perpetual open interest series: venue -> symbol -#}
{%- set perp_series = {'Binance': var('binance_oi_symbol'), 'Deribit': 'BTC-PERPETUAL'} -%}

with trading_days as (
    select
        trade_date,
        snapshot_utc,
        row_number() over (order by trade_date) as trading_day_number
    from {{ ref('int_trading_days') }}
),

cme_futures as (
    select * from {{ ref('stg_raw__futures_daily') }}
    where venue = 'CME'
),

perp_open_interest as (
    select * from {{ ref('stg_raw__perp_open_interest') }}
    where
    {%- for venue, symbol in perp_series.items() %}
        (venue = '{{ venue }}' and symbol = '{{ symbol }}'){% if not loop.last %} or{% endif %}
    {%- endfor %}
),

btc_usd as (
    select trade_date, btc_usd_4pm, data_mode as btc_usd_data_mode
    from {{ ref('int_btc_usd_at_4pm') }}
),

-- the NYSE trading days from the first to the last day with any futures row or perpetual observation
dates_with_data as (
    select trade_date from cme_futures
    union
    select partition_date as trade_date from perp_open_interest
),

-- the mode of everything this mart reads, for rows that no raw row reached
input_data_mode as (
    select {{ aggregate_data_mode('data_mode') }} as data_mode
    from (
        select data_mode from cme_futures
        union all
        select data_mode from perp_open_interest
    ) as inputs
),

spine_days as (
    select trading_days.*
    from trading_days
    where trade_date between (select min(trade_date) from dates_with_data)
                         and (select max(trade_date) from dates_with_data)
),

-- CME: end-of-day open interest of the trade date (int_cme_open_interest: BTC months x 5 BTC, MBT x 0.1)
cme_daily as (
    select trade_date, cme_open_interest_btc as open_interest_btc, data_mode
    from {{ ref('int_cme_open_interest') }}
    where cme_open_interest_btc is not null
),

cme_on_spine as (
    select
        spine_days.trade_date,
        spine_days.trading_day_number,
        cme_daily.open_interest_btc,
        cme_daily.data_mode,
        max(case when cme_daily.open_interest_btc is not null then spine_days.trading_day_number end) over (
            order by spine_days.trading_day_number rows between unbounded preceding and current row
        ) as last_value_day_number
    from spine_days
    left join cme_daily on spine_days.trade_date = cme_daily.trade_date
),

-- a missing CME day carries the last value for at most `oi_cme_max_carry_trading_days`; never interpolated
cme as (
    select
        today.trade_date,
        'CME' as venue,
        case when today.trading_day_number - today.last_value_day_number <= {{ cme_max_carry_trading_days }}
             then last_value.open_interest_btc end as open_interest_btc,
        cast(null as double) as venue_open_interest_usd,
        cast(null as timestamp) as observed_at_utc,
        cast(null as bigint) as age_minutes,
        false as is_stale,
        true as is_end_of_day,
        coalesce(today.trading_day_number - today.last_value_day_number between 1 and {{ cme_max_carry_trading_days }}, false)
            as is_carried_forward,
        case when today.trading_day_number - today.last_value_day_number between 1 and {{ cme_max_carry_trading_days }}
             then last_value.trade_date end as carried_from_date,
        case when today.trading_day_number - today.last_value_day_number <= {{ cme_max_carry_trading_days }}
             then last_value.data_mode end as venue_data_mode
    from cme_on_spine as today
    left join cme_on_spine as last_value on today.last_value_day_number = last_value.trading_day_number
),

{% for venue, symbol in perp_series.items() %}
{%- set series = 'perp_' ~ loop.index %}
-- {{ venue }} {{ symbol }}: the last observation at or before 4 pm New York, null when stale
{{ series }}_observations as (
    select
        observed_at_utc as {{ series }}_observed_at_utc,
        open_interest_btc as {{ series }}_open_interest_btc,
        open_interest_usd as {{ series }}_open_interest_usd,
        data_mode as {{ series }}_data_mode
    from perp_open_interest
    where venue = '{{ venue }}' and symbol = '{{ symbol }}'
      and (open_interest_btc is not null or open_interest_usd is not null)
),

{{ series }}_snapshots as (
    select trade_date, snapshot_utc
    from spine_days
    where trade_date between (select min(partition_date) from perp_open_interest where venue = '{{ venue }}' and symbol = '{{ symbol }}')
                         and (select max(partition_date) from perp_open_interest where venue = '{{ venue }}' and symbol = '{{ symbol }}')
),

{{ series }}_as_of as (
    {{ asof_last_at_or_before(series ~ '_snapshots', 'snapshot_utc', series ~ '_observations', series ~ '_observed_at_utc') }}
),

{{ series }} as (
    select
        trade_date,
        '{{ venue }}' as venue,
        case when age_minutes <= {{ max_age_minutes }} then {{ series }}_open_interest_btc end as open_interest_btc,
        case when age_minutes <= {{ max_age_minutes }} then {{ series }}_open_interest_usd end as venue_open_interest_usd,
        {{ series }}_observed_at_utc as observed_at_utc,
        age_minutes,
        coalesce(age_minutes > {{ max_age_minutes }}, true) as is_stale,
        false as is_end_of_day,
        false as is_carried_forward,
        cast(null as date) as carried_from_date,
        case when age_minutes <= {{ max_age_minutes }} then {{ series }}_data_mode end as venue_data_mode
    from (
        select
            *,
            {{ dbt.datediff(series ~ '_observed_at_utc', 'snapshot_utc', 'minute') }} as age_minutes
        from {{ series }}_as_of
    ) as aged
),

{% endfor %}

-- CME and Binance always have rows (null when no data); other perpetual venues once they have data
venues_on_days as (
    select trade_date, venue, open_interest_btc, venue_open_interest_usd, observed_at_utc, age_minutes,
           is_stale, is_end_of_day, is_carried_forward, carried_from_date, venue_data_mode
    from cme
    {%- for venue, symbol in perp_series.items() %}
    union all
    select spine_days.trade_date, '{{ venue }}' as venue, perp.open_interest_btc, perp.venue_open_interest_usd,
           perp.observed_at_utc, perp.age_minutes, coalesce(perp.is_stale, true) as is_stale,
           false as is_end_of_day, false as is_carried_forward, cast(null as date) as carried_from_date, perp.venue_data_mode
    from spine_days
    left join perp_{{ loop.index }} as perp on spine_days.trade_date = perp.trade_date
    {%- if venue != 'Binance' %}
    where exists (select 1 from perp_{{ loop.index }}_observations)
    {%- endif %}
    {%- endfor %}
),

valued as (
    select
        venues_on_days.trade_date,
        venues_on_days.venue,
        spine_days.snapshot_utc,
        -- a venue that reports only one unit is converted at BTC-USD at 4 pm New York
        coalesce(venues_on_days.open_interest_btc, venues_on_days.venue_open_interest_usd / btc_usd.btc_usd_4pm)
            as open_interest_btc,
        coalesce(venues_on_days.venue_open_interest_usd, venues_on_days.open_interest_btc * btc_usd.btc_usd_4pm)
            as open_interest_usd,
        btc_usd.btc_usd_4pm,
        venues_on_days.observed_at_utc,
        venues_on_days.age_minutes,
        venues_on_days.is_stale,
        venues_on_days.is_end_of_day,
        venues_on_days.is_carried_forward,
        venues_on_days.carried_from_date,
        coalesce(
            {{ combine_data_modes(['venues_on_days.venue_data_mode', 'btc_usd.btc_usd_data_mode']) }},
            (select data_mode from input_data_mode)
        ) as data_mode
    from venues_on_days
    inner join spine_days on venues_on_days.trade_date = spine_days.trade_date
    left join btc_usd on venues_on_days.trade_date = btc_usd.trade_date
),

with_changes as (
    select
        *,
        lag(open_interest_btc) over by_venue as previous_open_interest_btc,
        lag(open_interest_usd) over by_venue as previous_open_interest_usd
    from valued
    window by_venue as (partition by venue order by trade_date)
),

final as (
    select
        trade_date,
        venue,
        snapshot_utc,
        open_interest_btc,
        open_interest_usd,
        btc_usd_4pm,
        observed_at_utc,
        age_minutes,
        is_stale,
        is_end_of_day,
        is_carried_forward,
        carried_from_date,
        open_interest_btc - previous_open_interest_btc as open_interest_change_btc,
        open_interest_usd - previous_open_interest_usd as open_interest_change_usd,
        open_interest_btc / nullif(previous_open_interest_btc, 0) - 1 as open_interest_change_pct_btc,
        open_interest_usd / nullif(previous_open_interest_usd, 0) - 1 as open_interest_change_pct_usd,
        open_interest_usd / nullif(sum(open_interest_usd) over (partition by trade_date), 0) as share_of_total_usd,
        count(open_interest_usd) over (partition by trade_date) as venues_in_total,
        -- the total adds an end-of-day value (CME) to values observed at 4 pm (perpetuals)
        count(case when open_interest_usd is not null and is_end_of_day then 1 end) over (partition by trade_date) > 0
            and count(case when open_interest_usd is not null and not is_end_of_day then 1 end) over (partition by trade_date) > 0
            as share_mixes_instants,
        data_mode
    from with_changes
)

select * from final
