{%- set min_days = var('basis_min_days_to_expiry') -%}

with contracts as (
    select * from {{ ref('int_basis_cme_contracts') }}
),

front as (
    select * from {{ ref('int_cme_front') }}
),

btc_usd as (
    select trade_date, btc_usd_4pm, data_mode as btc_usd_data_mode
    from {{ ref('int_btc_usd_at_4pm') }}
),

tenors as (
    {%- for n in basis_tenor_days() %}
    select {{ n }} as tenor_days{% if not loop.last %} union all{% endif %}
    {%- endfor %}
),

-- trading days with any CME BTC price (a contract month or the rolled front series)
cme_days as (
    select trade_date, {{ aggregate_data_mode('contract_data_mode') }} as cme_data_mode
    from contracts
    group by trade_date
),

-- constant maturity: consecutive contracts (by time to final settlement) with a basis that day and at
-- least var basis_min_days_to_expiry days left (the short-dated stay in fct_cme_basis_by_contract)
usable_contracts as (
    select trade_date, contract, expiry_date, days_to_expiry, basis_total, is_rolled_series
    from contracts
    where basis_total is not null and days_to_expiry >= {{ min_days }}
),

contract_pairs as (
    select
        trade_date,
        contract as contract_near,
        expiry_date as expiry_date_near,
        days_to_expiry as days_to_expiry_near,
        basis_total as basis_total_near,
        is_rolled_series as is_rolled_series_near,
        lead(contract) over by_maturity as contract_far,
        lead(expiry_date) over by_maturity as expiry_date_far,
        lead(days_to_expiry) over by_maturity as days_to_expiry_far,
        lead(basis_total) over by_maturity as basis_total_far,
        lead(is_rolled_series) over by_maturity as is_rolled_series_far,
        row_number() over by_maturity as pair_rank
    from usable_contracts
    window by_maturity as (partition by trade_date order by days_to_expiry)
),

-- the pair straddling the tenor (distance 0); when none does, the nearest pair (extrapolated)
pair_candidates as (
    select
        contract_pairs.*,
        tenors.tenor_days,
        greatest(days_to_expiry_near - tenors.tenor_days, tenors.tenor_days - days_to_expiry_far, 0)
            as days_outside_pair
    from contract_pairs
    cross join tenors
    where contract_pairs.contract_far is not null
),

chosen_pairs as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by trade_date, tenor_days order by days_outside_pair, pair_rank
            ) as candidate_rank
        from pair_candidates
    ) as ranked
    where candidate_rank = 1
),

constant_maturity as (
    select
        cme_days.trade_date,
        cast(tenors.tenor_days as {{ dbt.type_string() }}) || 'd' as tenor,
        tenors.tenor_days,
        chosen_pairs.contract_near,
        chosen_pairs.contract_far,
        chosen_pairs.expiry_date_near,
        chosen_pairs.expiry_date_far,
        cast(tenors.tenor_days as double) as days_to_expiry,
        chosen_pairs.days_to_expiry_near,
        chosen_pairs.days_to_expiry_far,
        {{ basis_interpolate_total(
            'chosen_pairs.basis_total_near', 'chosen_pairs.days_to_expiry_near',
            'chosen_pairs.basis_total_far', 'chosen_pairs.days_to_expiry_far', 'tenors.tenor_days') }} as basis_total,
        case when chosen_pairs.contract_near is not null then chosen_pairs.days_outside_pair > 0 end as is_extrapolated,
        coalesce(chosen_pairs.is_rolled_series_near or chosen_pairs.is_rolled_series_far, false) as is_rolled_series,
        false as only_short_dated_prices,
        cme_days.cme_data_mode
    from cme_days
    cross join tenors
    left join chosen_pairs
        on cme_days.trade_date = chosen_pairs.trade_date
       and tenors.tenor_days = chosen_pairs.tenor_days
),

front_tenor as (
    select
        cme_days.trade_date,
        'front' as tenor,
        cast(null as integer) as tenor_days,
        front.cme_front_contract as contract_near,
        cast(null as {{ dbt.type_string() }}) as contract_far,
        front.cme_front_expiry_date as expiry_date_near,
        cast(null as date) as expiry_date_far,
        front.cme_front_days_to_expiry as days_to_expiry,
        front.cme_front_days_to_expiry as days_to_expiry_near,
        cast(null as double) as days_to_expiry_far,
        front.cme_front_basis_total as basis_total,
        case when front.cme_front_basis_total is not null then false end as is_extrapolated,
        front.cme_front_is_rolled_series as is_rolled_series,
        front.cme_front_is_null_short_dated as only_short_dated_prices,
        cme_days.cme_data_mode
    from cme_days
    inner join front on cme_days.trade_date = front.trade_date
),

all_tenors as (
    select * from front_tenor
    union all
    select * from constant_maturity
),

final as (
    select
        all_tenors.trade_date,
        all_tenors.tenor,
        all_tenors.tenor_days,
        {{ basis_annualize('all_tenors.basis_total', 'all_tenors.days_to_expiry') }} as basis_annualized,
        all_tenors.basis_total,
        all_tenors.contract_near,
        all_tenors.contract_far,
        all_tenors.expiry_date_near,
        all_tenors.expiry_date_far,
        all_tenors.days_to_expiry,
        all_tenors.days_to_expiry_near,
        all_tenors.days_to_expiry_far,
        all_tenors.is_extrapolated,
        all_tenors.is_rolled_series,
        all_tenors.only_short_dated_prices,
        btc_usd.btc_usd_4pm,
        {{ combine_data_modes(['all_tenors.cme_data_mode', 'btc_usd.btc_usd_data_mode']) }} as data_mode
    from all_tenors
    left join btc_usd on all_tenors.trade_date = btc_usd.trade_date
)

select * from final
