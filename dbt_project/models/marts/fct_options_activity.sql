with activity as (
    select * from {{ ref('int_options_ibit_activity') }}
)

select
    trade_date,
    ibit_put_contracts,
    ibit_call_contracts,
    total_contracts,
    put_call_ratio,
    is_record_total,
    is_record_puts,
    previous_record_total_contracts,
    previous_record_put_contracts,
    volume_z_60d,
    volume_z_prior_days,
    data_mode
from activity
