{{ config(materialized='table') }}

{#- The input rows rejected as duplicates: of the rows sharing a user id, the first one in input
    order that passes every field check is kept (the first one when none does); the others
    are listed here. An aggregate over ids, not a window: a window would sort every row.
    Usually empty, so base_platform__user_profiles joins it for next to nothing. input_rows
    is read twice and streams both times rather than being stored. A repeated
    header is rejected as such, never as a duplicate. Rows are numbered before any is filtered
    out: on engines that number rows with a window (input_row_number), a filter in the same
    select would number the remaining rows only. -#}

with

numbered_rows {{ as_not_materialized() }} (
    select
        {{ input_row_number() }} as source_row_number,
        user_id,
        is_repeated_header,
        field_rejection_reasons
    from {{ ref('base_platform__user_profile_rows') }}
),

input_rows {{ as_not_materialized() }} (
    select
        source_row_number,
        user_id,
        {{ list_length('field_rejection_reasons') }} = 0 as passes_field_checks
    from numbered_rows
    where user_id is not null and not is_repeated_header
),

shared_ids as (
    select
        user_id,
        coalesce(
            min(source_row_number) filter (where passes_field_checks),
            min(source_row_number)
        ) as kept_source_row_number
    from input_rows
    group by 1
    having count(*) > 1
),

duplicates as (
    select
        input_rows.source_row_number,
        input_rows.user_id,
        shared_ids.kept_source_row_number
    from input_rows
    inner join shared_ids
        on input_rows.user_id = shared_ids.user_id
    where input_rows.source_row_number <> shared_ids.kept_source_row_number
)

select * from duplicates
