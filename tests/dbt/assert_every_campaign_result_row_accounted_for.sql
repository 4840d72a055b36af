{#- Quarantine, never drop, for the campaign results as for the export
    (assert_every_input_row_accounted_for): every input row (base_campaigns__results) is either a
    result (stg_campaigns__results) or a rejected row (stg_campaigns__results_rejected), never
    both, never neither. Returns one row per problem. -#}

with

input_rows as (
    select * from {{ ref('base_campaigns__results') }}
),

valid_rows as (
    select * from {{ ref('stg_campaigns__results') }}
),

rejected_rows as (
    select * from {{ ref('stg_campaigns__results_rejected') }}
),

accounted as (
    select source_row_number from valid_rows
    union all
    select source_row_number from rejected_rows
),

appearances as (
    select
        source_row_number,
        count(*) as appearances
    from accounted
    group by 1
),

problems as (
    select
        coalesce(input_rows.source_row_number, appearances.source_row_number) as source_row_number,
        case
            when input_rows.source_row_number is null then 'output row that is not an input row'
            when appearances.source_row_number is null then 'input row neither valid nor rejected'
            else 'input row in ' || cast(appearances.appearances as {{ dbt.type_string() }}) || ' outputs'
        end as problem
    from input_rows
    full outer join appearances
        on input_rows.source_row_number = appearances.source_row_number
    where
        input_rows.source_row_number is null
        or appearances.source_row_number is null
        or appearances.appearances <> 1
)

select * from problems
