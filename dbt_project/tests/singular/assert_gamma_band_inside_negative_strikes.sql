{#- The negative-gamma band holds a share of the negative GEX in (0, 1], and its bounds are ordered. -#}
select snapshot_utc, neg_gamma_band_low_strike, neg_gamma_band_high_strike, neg_gamma_band_share
from {{ ref('fct_dealer_gamma_summary') }}
where neg_gamma_band_low_strike is not null
  and (
      neg_gamma_band_low_strike > neg_gamma_band_high_strike
      or neg_gamma_band_share <= 0 or neg_gamma_band_share > 1 + 1e-9
      or neg_gamma_band_gex_usd < negative_gex_usd_per_1pct * (1 + 1e-9)
  )
