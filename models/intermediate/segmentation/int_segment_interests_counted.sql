{#- Users per segment and interest, beside the segment's size and the interest's population
    count, with the interest's shares and lift. Counted from each user's interest list. -#}

with

assignments as (
    select * from {{ ref('int_user_segment_assignments') }}
),

{# Read by both CTEs below: streamed, not stored as a 10M-row copy. #}
features {{ as_not_materialized() }} (
    select * from {{ ref('int_user_features') }}
),

{# Read twice by count_interests_by_group (sizes, interests): streamed each time, never stored
    whole (millions of rows). #}
member_interests {{ as_not_materialized() }} (
    select
        assignments.segment_id,
        features.interest_names as interests
    from assignments
    inner join features
        on assignments.source_row_number = features.source_row_number
),

population {{ as_not_materialized() }} (
    select features.interest_names as interests
    from features
),

counted as (
    {{ count_interests_by_group('member_interests', 'segment_id', 'population') }}
)

select * from counted
