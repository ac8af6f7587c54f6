with source as (
    select * from {{ source('raw', 'structured_notes') }}
),

renamed as (
    select
        cast(filing_date as date) as filing_date,
        accession,
        issuer,
        issuer_cik,
        document_url,
        document_status,
        product_name,
        upper(cusip) as cusip,
        upper(isin) as isin,
        upper(underlying) as underlying,
        cast(pricing_date as date) as pricing_date,
        cast(maturity_date as date) as maturity_date,
        cast(initial_level_usd as double) as initial_level_usd,
        cast(aggregate_principal_usd as double) as aggregate_principal_usd,
        barrier_kind,
        cast(barrier_seq as integer) as barrier_seq,
        barrier_observation,
        cast(observation_date as date) as observation_date,
        cast(barrier_level_usd as double) as stated_barrier_level_usd,
        cast(barrier_fraction_of_initial as double) as stated_barrier_fraction_of_initial,
        source,
        {{ lineage_columns() }}
    from source
)

select * from renamed
