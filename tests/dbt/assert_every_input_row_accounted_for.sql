{#- Quarantine, never drop: every input row (base_platform__user_profiles) is either a valid
    user (stg_platform__user_profiles) or a rejected row (stg_platform__user_profiles_rejected),
    never both, never neither, and nothing else: the row counts add up and every
    source_row_number appears exactly once across the two. Returns one row per problem. -#}

with

input_rows as (
    select * from {{ ref('base_platform__user_profiles') }}
),

valid_rows as (
    select * from {{ ref('stg_platform__user_profiles') }}
),

rejected_rows as (
    select * from {{ ref('stg_platform__user_profiles_rejected') }}
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

row_problems as (
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
),

row_counts as (
    select
        (select count(*) from input_rows) as input_count,
        (select count(*) from valid_rows) as valid_count,
        (select count(*) from rejected_rows) as rejected_count
),

count_problems as (
    select
        cast(null as bigint) as source_row_number,
        'input rows ' || cast(input_count as {{ dbt.type_string() }})
        || ' <> valid ' || cast(valid_count as {{ dbt.type_string() }})
        || ' + rejected ' || cast(rejected_count as {{ dbt.type_string() }}) as problem
    from row_counts
    where input_count <> valid_count + rejected_count
),

problems as (
    select * from row_problems
    union all
    select * from count_problems
)

select * from problems
