-- Attached to fct_cme_basis as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_cme_basis'}}}) }}
-- A straddled constant-maturity basis is a linear interpolation: it lies between its two contracts'
-- total basis (from the per-contract mart); the front row is the front contract's own basis; no
-- front or tenor uses a contract with fewer than var basis_min_days_to_expiry days left.
with basis as (
    select * from {{ ref('fct_cme_basis') }}
),

by_contract as (
    select * from {{ ref('fct_cme_basis_by_contract') }}
)

select basis.trade_date, basis.tenor
from basis
left join by_contract as near
    on basis.trade_date = near.trade_date and basis.contract_near = near.contract
left join by_contract as far
    on basis.trade_date = far.trade_date and basis.contract_far = far.contract
where (basis.basis_total is not null and near.contract is null)
   or (basis.tenor <> 'front' and not basis.is_extrapolated
       and basis.basis_total not between least(near.basis_total, far.basis_total) - 1e-12
                                     and greatest(near.basis_total, far.basis_total) + 1e-12)
   or (basis.tenor = 'front' and basis.basis_annualized is not null
       and abs(basis.basis_annualized - near.basis_annualized) > 1e-12)
   or (basis.tenor = 'front' and basis.basis_annualized is null and near.basis_annualized is not null)
   or (basis.tenor <> 'front' and basis.basis_total is not null
       and not (basis.days_to_expiry_near < basis.days_to_expiry_far))
   or (basis.basis_total is not null and near.days_to_expiry < {{ var('basis_min_days_to_expiry') }})
   or (far.contract is not null and far.days_to_expiry < {{ var('basis_min_days_to_expiry') }})
