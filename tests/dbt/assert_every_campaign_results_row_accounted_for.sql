{#- Quarantine, never drop, for campaign results: every input row
    (base_campaigns__results) is either counted by the lift (int_campaign_results_matched
    without a rejection reason) or in fct_campaign_results_rejected, never both, never
    neither, and nothing else appears. Returns one row per problem. -#}

with

input_rows as (
    select * from {{ ref('base_campaigns__results') }}
),

matched as (
    select * from {{ ref('int_campaign_results_matched') }}
),

rejected as (
    select * from {{ ref('fct_campaign_results_rejected') }}
),

accounted as (
    select source_row_number from matched
    where rejection_reason is null
    union all
    select source_row_number from rejected
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
            when appearances.source_row_number is null then 'input row neither used nor rejected'
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
