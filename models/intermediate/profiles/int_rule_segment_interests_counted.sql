{#- Users per rule segment and interest, beside the segment's size and the interest's population
    count, with the interest's shares and lift. -#}

with

memberships as (
    select * from {{ ref('int_user_rule_segments_matched') }}
),

interests as (
    select * from {{ ref('stg_platform__user_interests') }}
),

profiles as (
    select * from {{ ref('int_user_profiles_assembled') }}
),

counted as (
    {{ count_interests_by_group('memberships', 'rule_segment_id', 'interests', 'profiles') }}
)

select * from counted
