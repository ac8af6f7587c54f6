{#- CME bitcoin futures rows whose contract code the CME calendar does not know (so no expiry, no
    tenor): the basis marts join on raw.cme_expiries and leave them out. Micro contracts (MBT) and the
    rolled series are left out by design and not counted. Warns with the count of rows left out. -#}
-- Attached to stg_raw__futures_daily as its Dagster asset check (severity WARN: counted, never blocking).
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_raw__futures_daily'}}}) }}

select futures.trade_date, futures.contract, futures.source
from {{ ref('stg_raw__futures_daily') }} as futures
left join {{ ref('stg_raw__cme_expiries') }} as expiries on futures.contract = expiries.contract
where futures.venue = 'CME'
  and futures.contract not like 'MBT%'
  and futures.contract <> 'BTC-front-continuous'
  and expiries.contract is null
