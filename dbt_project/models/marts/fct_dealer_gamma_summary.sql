{%- set band_fraction = var('gamma_band_min_fraction_of_peak') -%}

with all_lines as (
    select * from {{ ref('int_gamma_option_lines') }}
),

by_strike_expiry as (
    select * from {{ ref('fct_dealer_gamma') }}
),

shift_totals as (
    select * from {{ ref('int_gamma_spot_shift_totals') }}
),

snapshots as (
    select
        snapshot_utc,
        sum(case when is_priced then 1 else 0 end) as option_lines_priced,
        sum(case when is_priced then 0 else 1 end) as option_lines_skipped,
        {{ string_agg_distinct_sorted('venue', "','") }} as venues,
        {{ aggregate_data_mode('data_mode') }} as data_mode
    from all_lines
    group by snapshot_utc
),

-- the nearest live expiry's forward (BTC options) or share price in BTC terms (IBIT): ~ spot, per BTC
reference_price as (
    select snapshot_utc, underlying_price_btc_usd as reference_price_btc_usd
    from (
        select
            snapshot_utc,
            underlying_price_btc_usd,
            row_number() over (
                partition by snapshot_utc order by years_to_expiry, venue, underlying
            ) as nearness
        from all_lines
        where is_priced
    ) as ranked
    where nearness = 1
),

totals as (
    select
        snapshot_utc,
        sum(gex_usd_per_1pct) as total_gex_usd_per_1pct,
        sum(gex_usd_per_1pct_dealers_short_all) as total_gex_usd_per_1pct_dealers_short_all,
        sum(call_gex_usd_per_1pct_unsigned) as call_gex_usd_per_1pct_unsigned,
        sum(put_gex_usd_per_1pct_unsigned) as put_gex_usd_per_1pct_unsigned
    from by_strike_expiry
    group by snapshot_utc
),

-- zero gamma: neighbouring grid points whose S0 totals straddle zero, linear in between; the crossing
-- nearest today's spot wins
crossings as (
    select
        lower_point.snapshot_utc,
        case
            when upper_point.total_gex_usd_per_1pct = lower_point.total_gex_usd_per_1pct then lower_point.spot_shift
            else lower_point.spot_shift
                - lower_point.total_gex_usd_per_1pct * (upper_point.spot_shift - lower_point.spot_shift)
                  / (upper_point.total_gex_usd_per_1pct - lower_point.total_gex_usd_per_1pct)
        end as zero_gamma_spot_shift
    from shift_totals as lower_point
    inner join shift_totals as upper_point
        on upper_point.snapshot_utc = lower_point.snapshot_utc
        and upper_point.shift_index = lower_point.shift_index + 1
    where lower_point.total_gex_usd_per_1pct * upper_point.total_gex_usd_per_1pct <= 0
      and not (lower_point.total_gex_usd_per_1pct = 0 and upper_point.total_gex_usd_per_1pct = 0)
),

zero_gamma as (
    select snapshot_utc, zero_gamma_spot_shift, crossing_count as zero_gamma_crossings
    from (
        select
            snapshot_utc,
            zero_gamma_spot_shift,
            count(*) over (partition by snapshot_utc) as crossing_count,
            row_number() over (partition by snapshot_utc order by abs(zero_gamma_spot_shift), zero_gamma_spot_shift) as nearness
        from crossings
    ) as ranked
    where nearness = 1
),

-- strikes on one axis (USD per BTC), netted over expiries, puts and calls, venues
strike_totals as (
    select
        snapshot_utc,
        strike_btc_usd,
        sum(gex_usd_per_1pct) as gex_usd_per_1pct
    from by_strike_expiry
    group by snapshot_utc, strike_btc_usd
),

strikes_ranked as (
    select
        *,
        row_number() over (partition by snapshot_utc order by strike_btc_usd) as strike_rank,
        min(gex_usd_per_1pct) over (partition by snapshot_utc) as peak_gex_usd_per_1pct,
        sum(case when gex_usd_per_1pct < 0 then gex_usd_per_1pct end) over (partition by snapshot_utc)
            as negative_gex_usd_per_1pct
    from strike_totals
),

peak_strike as (
    select snapshot_utc, min(strike_rank) as peak_rank
    from strikes_ranked
    where gex_usd_per_1pct = peak_gex_usd_per_1pct and peak_gex_usd_per_1pct < 0
    group by snapshot_utc
),

-- the band: the run of neighbouring strikes around the most negative one whose S0 GEX each stays at
-- least band_fraction as negative as the peak (gaps and islands over the qualifying strikes)
qualifying as (
    select
        strikes_ranked.*,
        strike_rank - row_number() over (partition by snapshot_utc order by strike_rank) as island
    from strikes_ranked
    where peak_gex_usd_per_1pct < 0
      and gex_usd_per_1pct <= {{ band_fraction }} * peak_gex_usd_per_1pct
),

peak_island as (
    select qualifying.snapshot_utc, qualifying.island
    from qualifying
    inner join peak_strike
        on qualifying.snapshot_utc = peak_strike.snapshot_utc and qualifying.strike_rank = peak_strike.peak_rank
),

band as (
    select
        qualifying.snapshot_utc,
        min(qualifying.strike_btc_usd) as neg_gamma_band_low_strike,
        max(qualifying.strike_btc_usd) as neg_gamma_band_high_strike,
        count(*) as neg_gamma_band_strikes,
        sum(qualifying.gex_usd_per_1pct) as neg_gamma_band_gex_usd,
        max(qualifying.negative_gex_usd_per_1pct) as negative_gex_usd_per_1pct
    from qualifying
    inner join peak_island
        on qualifying.snapshot_utc = peak_island.snapshot_utc and qualifying.island = peak_island.island
    group by qualifying.snapshot_utc
),

final as (
    select
        snapshots.snapshot_utc,
        snapshots.venues,
        snapshots.option_lines_priced,
        snapshots.option_lines_skipped,
        reference_price.reference_price_btc_usd,
        totals.total_gex_usd_per_1pct,
        totals.total_gex_usd_per_1pct_dealers_short_all,
        totals.call_gex_usd_per_1pct_unsigned,
        totals.put_gex_usd_per_1pct_unsigned,
        zero_gamma.zero_gamma_spot_shift,
        reference_price.reference_price_btc_usd * (1 + zero_gamma.zero_gamma_spot_shift) as zero_gamma_level_usd,
        case when snapshots.option_lines_priced > 0 then coalesce(zero_gamma.zero_gamma_crossings, 0) end
            as zero_gamma_crossings,
        band.neg_gamma_band_low_strike,
        band.neg_gamma_band_high_strike,
        band.neg_gamma_band_strikes,
        band.neg_gamma_band_gex_usd,
        band.negative_gex_usd_per_1pct,
        band.neg_gamma_band_gex_usd / band.negative_gex_usd_per_1pct as neg_gamma_band_share,
        snapshots.data_mode
    from snapshots
    left join reference_price on snapshots.snapshot_utc = reference_price.snapshot_utc
    left join totals on snapshots.snapshot_utc = totals.snapshot_utc
    left join zero_gamma on snapshots.snapshot_utc = zero_gamma.snapshot_utc
    left join band on snapshots.snapshot_utc = band.snapshot_utc
)

select * from final
