{#-
  One filing per note: the one whose terms stand. A note is identified by its CUSIP; a filing without
  one (a preliminary supplement may leave it blank) joins the note whose CUSIP-bearing filings share its
  issuer, pricing date, maturity date and principal-barrier fractions, when exactly one CUSIP does;
  otherwise those terms identify it. Final supplements supersede preliminary ones, then the latest
  filing wins (a re-filed final), then the highest accession.
-#}

with filings as (
    select * from {{ ref('stg_raw__structured_notes') }}
    where underlying = 'IBIT'
),

-- the principal barriers' fractions, stated or implied by a stated US$ level (4 decimals): what a
-- preliminary and a final supplement of the same note both say
principal_terms as (
    select
        accession,
        {{ string_agg_sorted(
            'cast(round(coalesce(stated_barrier_fraction_of_initial, stated_barrier_level_usd / nullif(initial_level_usd, 0)), 4) as '
                ~ dbt.type_string() ~ ')',
            "'/'", 'barrier_kind, barrier_seq'
        ) }} as principal_fractions
    from filings
    where barrier_kind in ('knock_in', 'buffer')
    group by accession
),

per_filing as (
    select
        filings.accession,
        any_value(filings.issuer) as issuer,
        any_value(filings.cusip) as cusip,
        any_value(filings.pricing_date) as pricing_date,
        any_value(filings.maturity_date) as maturity_date,
        any_value(filings.document_status) as document_status,
        any_value(filings.filing_date) as filing_date
    from filings
    group by filings.accession
),

keyed as (
    select
        per_filing.*,
        per_filing.issuer || '|' || coalesce(cast(per_filing.pricing_date as {{ dbt.type_string() }}), '?') || '|'
            || coalesce(cast(per_filing.maturity_date as {{ dbt.type_string() }}), '?') || '|'
            || coalesce(principal_terms.principal_fractions, '?') as terms_key
    from per_filing
    left join principal_terms on per_filing.accession = principal_terms.accession
),

cusip_by_terms as (
    select terms_key, min(cusip) as cusip, count(distinct cusip) as cusips
    from keyed
    where cusip is not null
    group by terms_key
),

identified as (
    select
        keyed.*,
        coalesce(keyed.cusip, case when cusip_by_terms.cusips = 1 then cusip_by_terms.cusip end, keyed.terms_key) as note_id
    from keyed
    left join cusip_by_terms on keyed.terms_key = cusip_by_terms.terms_key
),

ranked as (
    select
        *,
        row_number() over (
            partition by note_id
            order by document_status = 'final' desc, filing_date desc, accession desc
        ) as filing_rank,
        count(*) over (partition by note_id) as filings_for_note
    from identified
)

select
    note_id,
    accession,
    filing_date,
    document_status,
    filings_for_note
from ranked
where filing_rank = 1
