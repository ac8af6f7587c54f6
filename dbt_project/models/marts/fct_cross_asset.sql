with rolling as (
    select * from {{ ref('int_corr_ibit_peers_rolling') }}
)

select
    trade_date,
    peer,
    ibit_return,
    peer_return,
    corr_20d,
    corr_60d,
    pairs_20d,
    pairs_60d,
    data_mode
from rolling
