{#- Users per segment and interest, beside the segment's size and the interest's population
    count, with the interest's shares and lift. -#}

with

assignments as (
    select * from {{ ref('int_user_segment_assignments') }}
),

interests as (
    select * from {{ ref('stg_platform__user_interests') }}
),

counted as (
    {{ count_interests_by_group('assignments', 'segment_id', 'interests', 'assignments') }}
)

select * from counted
