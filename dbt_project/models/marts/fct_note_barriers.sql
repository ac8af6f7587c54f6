{#-
  The barrier register: every barrier of every IBIT-linked note, from the filing whose terms stand
  (int_structured_notes_current), with its level in IBIT dollars and in bitcoin dollars, whether and
  when the note was called, and how long its principal is outstanding.
-#}

with current_filings as (
    select * from {{ ref('int_structured_notes_current') }}
),

barriers as (
    select
        current_filings.note_id,
        current_filings.filings_for_note,
        filings.*,
        coalesce(
            filings.stated_barrier_fraction_of_initial,
            filings.stated_barrier_level_usd / nullif(filings.initial_level_usd, 0)
        ) as barrier_fraction_of_initial,
        coalesce(
            filings.stated_barrier_level_usd,
            filings.initial_level_usd * filings.stated_barrier_fraction_of_initial
        ) as barrier_level_usd
    from {{ ref('stg_raw__structured_notes') }} as filings
    inner join current_filings on filings.accession = current_filings.accession
),

ibit_closes as (
    select trade_date, close_price, data_mode
    from {{ ref('int_daily_bars_one_per_symbol') }}
    where symbol = 'IBIT' and is_trading_day and close_price is not null
),

-- IBIT's bitcoin per share on the pricing date (btc_held / shares_outstanding, iShares fund data)
btc_per_share as (
    select trade_date, btc_held / shares_outstanding as btc_per_share, data_mode
    from {{ ref('stg_raw__etf_fund_daily') }}
    where ticker = 'IBIT' and btc_held > 0 and shares_outstanding > 0
),

-- a note is called at the first autocall observation on which IBIT closes at or above the call level
call_checks as (
    select
        barriers.note_id,
        barriers.observation_date,
        ibit_closes.close_price >= barriers.barrier_level_usd as is_call,
        ibit_closes.data_mode
    from barriers
    inner join ibit_closes on ibit_closes.trade_date = barriers.observation_date
    where barriers.barrier_kind = 'autocall' and barriers.barrier_level_usd is not null
),

calls as (
    select
        note_id,
        min(observation_date) filter (where is_call) as called_on,
        {{ aggregate_data_mode('data_mode') }} as data_mode
    from call_checks
    group by note_id
),

-- autocall dates up to the last IBIT close that could not be checked (no close, or no level)
unchecked_calls as (
    select barriers.note_id, count(*) as autocall_dates_unchecked
    from barriers
    left join ibit_closes on ibit_closes.trade_date = barriers.observation_date
    where barriers.barrier_kind = 'autocall'
      and barriers.observation_date <= (select max(trade_date) from ibit_closes)
      and (ibit_closes.close_price is null or barriers.barrier_level_usd is null)
    group by barriers.note_id
),

with_calls as (
    select
        barriers.*,
        calls.called_on,
        coalesce(calls.called_on, barriers.maturity_date) as outstanding_until,
        coalesce(unchecked_calls.autocall_dates_unchecked, 0) as autocall_dates_unchecked,
        calls.data_mode as calls_data_mode
    from barriers
    left join calls on barriers.note_id = calls.note_id
    left join unchecked_calls on barriers.note_id = unchecked_calls.note_id
),

-- the first close below a (principal or coupon) barrier while the note is outstanding: for a barrier
-- observed daily, its knock-in
first_close_below as (
    select
        with_calls.note_id,
        with_calls.barrier_kind,
        with_calls.barrier_seq,
        min(ibit_closes.trade_date) as first_close_below_on
    from with_calls
    inner join ibit_closes
        on ibit_closes.trade_date >= with_calls.pricing_date
        and ibit_closes.trade_date <= coalesce(with_calls.outstanding_until, ibit_closes.trade_date)
        and ibit_closes.close_price < with_calls.barrier_level_usd
    where with_calls.barrier_kind <> 'autocall'
    group by with_calls.note_id, with_calls.barrier_kind, with_calls.barrier_seq
),

final as (
    select
        with_calls.note_id,
        with_calls.barrier_kind,
        with_calls.barrier_seq,
        with_calls.barrier_kind in ('knock_in', 'buffer') as is_principal_barrier,
        with_calls.barrier_observation,
        with_calls.observation_date,
        with_calls.issuer,
        with_calls.issuer_cik,
        with_calls.product_name,
        with_calls.cusip,
        with_calls.isin,
        with_calls.underlying,
        with_calls.accession,
        with_calls.document_url,
        with_calls.filing_date,
        with_calls.document_status,
        with_calls.filings_for_note,
        with_calls.pricing_date,
        with_calls.maturity_date,
        with_calls.initial_level_usd,
        with_calls.aggregate_principal_usd,
        with_calls.barrier_fraction_of_initial,
        with_calls.barrier_level_usd,
        with_calls.stated_barrier_level_usd is null and with_calls.barrier_level_usd is not null as is_level_derived,
        btc_per_share.btc_per_share as btc_per_share_on_pricing_date,
        btc_per_share.btc_per_share is null as is_btc_per_share_missing,
        with_calls.barrier_level_usd / btc_per_share.btc_per_share as barrier_level_btc_usd,
        with_calls.called_on,
        with_calls.outstanding_until,
        with_calls.autocall_dates_unchecked,
        first_close_below.first_close_below_on,
        {{ combine_data_modes(['with_calls.data_mode', 'btc_per_share.data_mode', 'with_calls.calls_data_mode']) }} as data_mode
    from with_calls
    left join btc_per_share on btc_per_share.trade_date = with_calls.pricing_date
    left join first_close_below
        on with_calls.note_id = first_close_below.note_id
        and with_calls.barrier_kind = first_close_below.barrier_kind
        and with_calls.barrier_seq = first_close_below.barrier_seq
)

select * from final
