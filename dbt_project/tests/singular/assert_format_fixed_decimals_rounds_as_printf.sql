-- Attached to fct_note_barriers_daily as its Dagster asset check (its breached levels are printed by
-- format_fixed_decimals); dagster-dbt makes a check of a test only for a model the test depends on:
-- depends_on: {{ ref('fct_note_barriers_daily') }}
{{ config(meta={'dagster': {'ref': {'name': 'fct_note_barriers_daily'}}}) }}
{#- format_fixed_decimals, as this engine dispatches it and in its portable form, prints what C's
    printf('%.Nf') prints (the exact binary value, a tie to even): hand-picked numbers against Python's
    '%.Nf' (C's formatting, no code shared), and the two forms against each other on every half cent
    from 0 to 100 (every other one a tie at two places: its double lies on either side of it) and on
    every barrier level. On DuckDB the
    adapter's form is printf; on Spark it is the portable one. -#}
with cases as (
    select cast(38.675 as double) as number, '39' as expected_0, '38.7' as expected_1, '38.67' as expected_2
    union all
    select cast(0.125 as double) as number, '0' as expected_0, '0.1' as expected_1, '0.12' as expected_2
    union all
    select cast(0.375 as double) as number, '0' as expected_0, '0.4' as expected_1, '0.38' as expected_2
    union all
    select cast(2.675 as double) as number, '3' as expected_0, '2.7' as expected_1, '2.67' as expected_2
    union all
    select cast(1.005 as double) as number, '1' as expected_0, '1.0' as expected_1, '1.00' as expected_2
    union all
    select cast(38.625 as double) as number, '39' as expected_0, '38.6' as expected_1, '38.62' as expected_2
    union all
    select cast(44.3625 as double) as number, '44' as expected_0, '44.4' as expected_1, '44.36' as expected_2
    union all
    select cast(39.0115 as double) as number, '39' as expected_0, '39.0' as expected_1, '39.01' as expected_2
    union all
    select cast(38.85750000000001 as double) as number, '39' as expected_0, '38.9' as expected_1, '38.86' as expected_2
    union all
    select cast(0.005 as double) as number, '0' as expected_0, '0.0' as expected_1, '0.01' as expected_2
    union all
    select cast(0.015 as double) as number, '0' as expected_0, '0.0' as expected_1, '0.01' as expected_2
    union all
    select cast(0.995 as double) as number, '1' as expected_0, '1.0' as expected_1, '0.99' as expected_2
    union all
    select cast(99.995 as double) as number, '100' as expected_0, '100.0' as expected_1, '100.00' as expected_2
    union all
    select cast(0.3333333333333333 as double) as number, '0' as expected_0, '0.3' as expected_1, '0.33' as expected_2
    union all
    select cast(8.0 as double) as number, '8' as expected_0, '8.0' as expected_1, '8.00' as expected_2
    union all
    select cast(7.999999999999999 as double) as number, '8' as expected_0, '8.0' as expected_1, '8.00' as expected_2
    union all
    select cast(0.5 as double) as number, '0' as expected_0, '0.5' as expected_1, '0.50' as expected_2
    union all
    select cast(2.5 as double) as number, '2' as expected_0, '2.5' as expected_1, '2.50' as expected_2
    union all
    select cast(0.25 as double) as number, '0' as expected_0, '0.2' as expected_1, '0.25' as expected_2
    union all
    select cast(0.35 as double) as number, '0' as expected_0, '0.3' as expected_1, '0.35' as expected_2
    union all
    select cast(0.45 as double) as number, '0' as expected_0, '0.5' as expected_1, '0.45' as expected_2
    union all
    select cast(0.0 as double) as number, '0' as expected_0, '0.0' as expected_1, '0.00' as expected_2
    union all
    select cast(-0.001 as double) as number, '-0' as expected_0, '-0.0' as expected_1, '-0.00' as expected_2
    union all
    select cast(-38.675 as double) as number, '-39' as expected_0, '-38.7' as expected_1, '-38.67' as expected_2
    union all
    select cast(123456.785 as double) as number, '123457' as expected_0, '123456.8' as expected_1, '123456.79' as expected_2
    union all
    select cast(9007199254740.99 as double) as number, '9007199254741' as expected_0, '9007199254741.0' as expected_1, '9007199254740.99' as expected_2
    union all
    select cast(70368744177.665 as double) as number, '70368744178' as expected_0, '70368744177.7' as expected_1, '70368744177.66' as expected_2
    union all
    select cast(1e-07 as double) as number, '0' as expected_0, '0.0' as expected_1, '0.00' as expected_2
),

half_cents as (
    select cast(generated_number as double) / 200 as number
    from ({{ dbt.generate_series(20000) }}) as series
),

levels as (
    select barrier_level_usd as number from {{ ref('fct_note_barriers') }} where barrier_level_usd is not null
),

printed_cases as (
    select
        number, expected_0, expected_1, expected_2,
        {{ format_fixed_decimals('number', 0) }} as adapter_0,
        {{ format_fixed_decimals('number', 1) }} as adapter_1,
        {{ format_fixed_decimals('number', 2) }} as adapter_2,
        {{ btcflows.default__format_fixed_decimals('number', 0) }} as portable_0,
        {{ btcflows.default__format_fixed_decimals('number', 1) }} as portable_1,
        {{ btcflows.default__format_fixed_decimals('number', 2) }} as portable_2
    from cases
),

printed_others as (
    select
        number,
        {{ format_fixed_decimals('number', 2) }} as adapter_2,
        {{ btcflows.default__format_fixed_decimals('number', 2) }} as portable_2
    from (select number from half_cents union all select number from levels) as others
)

select number, expected_2 as expected, adapter_2 as adapter, portable_2 as portable
from printed_cases
where not coalesce(adapter_0 = expected_0 and portable_0 = expected_0 and adapter_1 = expected_1
                   and portable_1 = expected_1 and adapter_2 = expected_2 and portable_2 = expected_2, false)
union all
select number, null, adapter_2, portable_2
from printed_others
where not coalesce(adapter_2 = portable_2, false)
