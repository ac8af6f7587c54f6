-- Attached to fct_note_barriers as its Dagster asset check (the test reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_note_barriers'}}}) }}
{#- fct_note_barriers: every note's barriers come from one filing, and no preliminary supplement stands
    for a CUSIP that a final supplement carries. -#}
with per_note as (
    select note_id, count(distinct accession) as accessions
    from {{ ref('fct_note_barriers') }}
    group by note_id
)

select note_id
from per_note
where accessions > 1
union all
select distinct barriers.note_id
from {{ ref('fct_note_barriers') }} as barriers
where barriers.document_status = 'preliminary'
  and barriers.cusip is not null
  and exists (
      select 1 from {{ ref('stg_raw__structured_notes') }} as filings
      where filings.cusip = barriers.cusip and filings.document_status = 'final'
  )
