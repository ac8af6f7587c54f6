-- The annualized basis is defined by three other mart columns; a drift means one of them was re-derived elsewhere.
select trade_date
from {{ ref('fct_daily_snapshot_4pm_et') }}
where cme_front_basis_annualized is not null
  and abs(cme_front_basis_annualized
          - (cme_front_settle / btc_usd_4pm - 1) * 365.0 / cme_front_days_to_expiry) > 1e-12
   or (cme_front_basis_annualized is null
       and cme_front_settle is not null and btc_usd_4pm is not null)
